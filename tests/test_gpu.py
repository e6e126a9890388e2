"""CUDA round trips (`pytest -m gpu` on a GPU machine; skipped with the reason elsewhere)."""

import numpy as np
import pytest
import torch

from codec import Codec
from tests.helpers import assert_close, read_example

pytestmark = pytest.mark.gpu

CPU_CUDA_LATENT_ATOL = 1e-3
"""TF32/cuDNN vs CPU float32 convolution differences on the tiny model."""


def test_tiny_round_trip_on_cuda_matches_cpu(tiny_checkpoint):
    wave, rate = read_example("speech_male_arctic_a0007")
    on = {dev: Codec.from_pretrained(str(tiny_checkpoint), vocoder="hifigan", device=dev)
          for dev in ("cpu", "cuda")}
    latents = {dev: codec.encode(wave, rate).latent for dev, codec in on.items()}
    assert latents["cuda"].device.type == "cuda"
    assert_close(latents["cuda"], latents["cpu"], CPU_CUDA_LATENT_ATOL, "CUDA vs CPU latent")
    out = on["cuda"].reconstruct(wave, rate)
    assert out.shape == (64000,) and np.isfinite(out).all()


@pytest.mark.weights
def test_real_round_trip_on_cuda(real_weights):
    codec = Codec.from_pretrained(real_weights, vocoder="hifigan", device="cuda")
    wave, rate = read_example("drums_amen_44k_stereo")
    encoded = codec.encode(wave, rate)
    assert encoded.latent.device.type == "cuda" and encoded.latent.dtype == torch.float32
    out = codec.decode(encoded, output_rate=rate)
    assert out.shape == (wave.shape[-1],) and np.isfinite(out).all()


@pytest.mark.weights
def test_real_model_paths_meet_their_gates_on_cuda(real_weights, tmp_path):
    from evals.gates import gate_table
    from tests.golden_values import run_and_check_gates

    methods = ["vae+hifigan", "vae+griffinlim", "copysynth"]
    results, failed = run_and_check_gates(methods, real_weights, tmp_path / "run", device="cuda", model="audioldm2")
    assert results and not failed, gate_table(results)
