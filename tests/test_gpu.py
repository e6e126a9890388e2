"""CUDA round trips (`pytest -m gpu` on a GPU machine; skipped with the reason elsewhere)."""

import numpy as np
import pytest
import torch

from codec import Codec
from tests.helpers import assert_close, read_example, tiny_vocoder_training

pytestmark = pytest.mark.gpu

CPU_CUDA_LATENT_ATOL = 1e-3
"""TF32/cuDNN vs CPU float32 convolution differences on the tiny model."""


def test_tiny_round_trip_on_cuda_matches_cpu(tiny_checkpoint):
    wave, rate = read_example("speech_male_arctic_a0007")
    on = {
        dev: Codec.from_pretrained(str(tiny_checkpoint), vocoder="hifigan", device=dev)
        for dev in ("cpu", "cuda")
    }
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
    from evals.reports.gates_table import gate_table
    from tests.golden_values import run_and_check_gates

    methods = ["vae+hifigan", "vae+griffinlim", "copysynth"]
    results, failed = run_and_check_gates(
        methods, real_weights, tmp_path / "run", device="cuda", model="audioldm2"
    )
    assert results and not failed, gate_table(results)


BF16_LOG_MEL_TOL = 0.05
"""Mean |log-mel| (natural log) the real VAE round trip may move when run in bfloat16."""


@pytest.mark.weights
def test_real_vae_in_bfloat16_keeps_the_log_mel_within_tolerance(real_weights):
    wave, rate = read_example("speech_male_arctic_a0007")
    mels = {}
    for dtype in (torch.float32, torch.bfloat16):
        codec = Codec.from_pretrained(real_weights, vocoder="griffinlim", device="cuda", dtype=dtype)
        mels[dtype] = codec.decode_mel(codec.encode(wave, rate).latent)
    deviation = float((mels[torch.bfloat16] - mels[torch.float32]).abs().mean())
    print(f"bfloat16 vs float32 VAE round trip: mean |log-mel| difference {deviation:.4f}")
    assert deviation <= BF16_LOG_MEL_TOL


def test_the_reference_vocoder_trains_on_cuda_and_its_checkpoint_resumes_on_the_cpu(tmp_path, monkeypatch):
    """training/vocoder.py on a GPU: 2 steps with discriminators on CUDA (tiny models,
    synthetic audio), a checkpoint, 2 more steps resumed on the CPU."""
    trainer, small, waves = tiny_vocoder_training(monkeypatch)
    state = trainer.new_state(0, 1, device="cuda", **small)
    assert not trainer.train_steps(state, waves, 4, float("inf"), lambda s: None, 100, log_every=1, stop_at=2)
    for part in ("model", "discriminators"):
        assert all(p.device.type == "cuda" for p in state[part].parameters()), part
    checkpoint = tmp_path / "state.pt"
    trainer.save_checkpoint(state, checkpoint)
    resumed = trainer.load_checkpoint(checkpoint, 0, 1, device="cpu", **small)
    assert trainer.train_steps(resumed, waves, 4, float("inf"), lambda s: None, 100, log_every=1)
    assert resumed["step"] == 4 and all(np.isfinite(list(h.values())).all() for h in resumed["history"])
