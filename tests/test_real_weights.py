"""The real AudioLDM2 checkpoint, end to end (skips, saying how to run it, without the weights).

pytest -m weights --weights=cvssp/audioldm2-music       # from the local hub cache
pytest -m weights --weights=/data/audioldm2-music       # a folder with vae/ and vocoder/
"""

import math

import numpy as np
import pytest
import torch

from codec import Codec, log_mel, prepare_waveform
from codec.audio import to_mono_16k
from tests.helpers import read_example

pytestmark = pytest.mark.weights

REAL_VAE_PARAMS = 55.4e6
REAL_VOCODER_PARAMS = 55.3e6
PARAMS_RTOL = 0.02

VAE_LOG_MEL_L1_MAX = 0.6
"""Loose sanity gate on the speech example (natural-log units) until a measured value replaces it:
a VAE fed the correct layout reconstructs its own input closely; the reports' transposed input
does not. Tighten from the first real run (see the closing note of the codec-core issue)."""


@pytest.fixture(scope="module")
def real_codec(real_weights) -> Codec:
    return Codec.from_pretrained(real_weights, vocoder="hifigan", device="cpu")


def test_real_checkpoint_has_the_documented_configs(real_codec):
    vae, voc = real_codec.vae.model.config, real_codec.vocoder.model.config
    assert (vae.in_channels, vae.out_channels, vae.latent_channels) == (1, 1, 8)
    assert list(vae.block_out_channels) == [128, 256, 512] and vae.layers_per_block == 2
    assert vae.force_upcast is True and real_codec.vae.factor == 4
    assert voc.model_in_dim == 64 and voc.sampling_rate == 16000 and voc.normalize_before is False
    assert list(voc.upsample_rates) == [5, 4, 2, 2, 2] and math.prod(voc.upsample_rates) == 160

    def count(m):
        return sum(p.numel() for p in m.parameters())

    assert math.isclose(count(real_codec.vae.model), REAL_VAE_PARAMS, rel_tol=PARAMS_RTOL)
    assert math.isclose(count(real_codec.vocoder.model), REAL_VOCODER_PARAMS, rel_tol=PARAMS_RTOL)


def test_real_round_trip_keeps_length_and_reconstructs_the_log_mel(real_codec):
    wave, rate = read_example("speech_male_arctic_a0007")
    encoded = real_codec.encode(wave, rate)
    assert encoded.latent.shape == (1, 8, 101, 16)
    out = real_codec.decode(encoded)
    assert out.shape == (64000,) and np.isfinite(out).all()
    reference = log_mel(prepare_waveform(torch.from_numpy(to_mono_16k(wave, rate))[None]).wave)
    decoded = real_codec.vae.decode(encoded.latent)[:, : reference.shape[1]]
    l1 = float((decoded - reference).abs().mean())
    assert l1 < VAE_LOG_MEL_L1_MAX, f"VAE log-mel L1 {l1:.3f} >= {VAE_LOG_MEL_L1_MAX}"
    transposed = real_codec.vae.model.decode(
        real_codec.vae.model.encode(reference[:, :400].transpose(1, 2).unsqueeze(1)).latent_dist.mode()
    ).sample[:, 0]
    wrong = float((transposed.transpose(1, 2) - reference[:, :400]).abs().mean())
    assert wrong > l1, f"transposed input reconstructs as well ({wrong:.3f}) as the correct one ({l1:.3f})"


REAL_METHODS = ["vae+hifigan", "vae+griffinlim", "copysynth"]


def test_real_model_paths_meet_their_gates_on_the_golden_set(real_weights, tmp_path):
    """The literature floors of golden/gates.json; see the README for how to re-derive them."""
    from evals.reports.gates_table import gate_table
    from tests.golden_values import run_and_check_gates

    results, failed = run_and_check_gates(REAL_METHODS, real_weights, tmp_path / "run", model="audioldm2")
    assert {r.method for r in results} == set(REAL_METHODS)
    assert not failed, f"{len(failed)} of {len(results)} gates failed:\n" + gate_table(results)
