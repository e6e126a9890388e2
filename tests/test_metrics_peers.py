"""Every metric against a peer package's code, each with a named tolerance and its definitional notes.

Peers: torchmetrics (SNR, SI-SDR, Pearson, MSE, and its PESQ / STOI wrappers), auraloss (MR-STFT at
our resolutions), ssr-eval's LSD (transcribed: the package does not install, see below), librosa +
scikit-image (the two mel front ends, in tests/test_metrics_reference.py), visqol-python's and
speechmos's own entry points (ViSQOL, DNSMOS). The band metrics have no peer package; they are
pinned by closed forms in tests/test_metrics_reference.py.
"""

import numpy as np
import pytest
import torch

from tests.helpers import example_speech, ok_metric_value

EXACT_DB = 1e-6
"""SNR / SI-SDR in dB: torchmetrics adds float64 machine epsilon to numerator and denominator."""
EXACT = 1e-9
"""Pearson, MSE, STOI: the same arithmetic in float64."""
PESQ_ABS = 1e-6
"""PESQ: torchmetrics calls the same `pesq` C code; only the float32 cast could differ."""
MRSTFT_REL = 1e-4
"""MR-STFT: auraloss floors the power at 1e-8 (magnitude >= 1e-4) where we add 1e-7 to the magnitude
inside the log; on a pair with a noise floor far above both, they agree to 1e-4 relative."""
LSD_REL = 5e-5
"""LSD: ssr-eval works in log10 units (ours is dB = 10 x) and puts 1e-12 on the magnitude and on
the ratio, where we add 1e-10 to each power; on the same spectra they differ by 1.0e-5 relative
(measured on this pair: 18.01875 vs 18.01893 dB)."""
DNSMOS_ABS = 1e-4
"""DNSMOS: the same ONNX models; we run them on one thread, speechmos on all (summation order)."""


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return example_speech()


@pytest.fixture(scope="module")
def degraded(speech) -> np.ndarray:
    """A codec-like estimate: gain 0.8, a little DC, 1 ms echo and white noise well above the epsilons."""
    echo = np.concatenate([np.zeros(16), speech[:-16]])
    return 0.8 * speech + 0.2 * echo + 0.01 + np.random.default_rng(0).normal(0, 0.01, speech.shape)


ours = ok_metric_value


def t(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))


@pytest.mark.parametrize("name", ["snr", "snr_raw"])
def test_snr_matches_torchmetrics(speech, degraded, name):
    from torchmetrics.functional.audio import signal_noise_ratio

    expected = float(signal_noise_ratio(t(degraded), t(speech), zero_mean=False))
    assert ours(name, degraded, speech) == pytest.approx(expected, abs=EXACT_DB)


def test_si_sdr_matches_torchmetrics_zero_mean(speech, degraded):
    from torchmetrics.functional.audio import scale_invariant_signal_distortion_ratio

    expected = float(scale_invariant_signal_distortion_ratio(t(degraded), t(speech), zero_mean=True))
    assert ours("si_sdr", degraded, speech) == pytest.approx(expected, abs=EXACT_DB)


@pytest.mark.parametrize("name", ["pearson", "pearson_raw"])
def test_pearson_matches_torchmetrics(speech, degraded, name):
    from torchmetrics.functional import pearson_corrcoef

    assert ours(name, degraded, speech) == pytest.approx(
        float(pearson_corrcoef(t(degraded), t(speech))), abs=EXACT
    )


def test_mse_matches_torchmetrics(speech, degraded):
    from torchmetrics.functional import mean_squared_error

    assert ours("mse_raw", degraded, speech) == pytest.approx(
        float(mean_squared_error(t(degraded), t(speech))), abs=EXACT
    )


def test_pesq_matches_torchmetrics(speech, degraded):
    from torchmetrics.functional.audio.pesq import perceptual_evaluation_speech_quality

    expected = float(
        perceptual_evaluation_speech_quality(t(degraded).float(), t(speech).float(), 16000, "wb")
    )
    assert ours("pesq_wb", degraded, speech) == pytest.approx(expected, abs=PESQ_ABS)


@pytest.mark.parametrize("name", ["stoi", "estoi"])
def test_stoi_matches_torchmetrics(speech, degraded, name):
    from torchmetrics.functional.audio.stoi import short_time_objective_intelligibility

    expected = float(
        short_time_objective_intelligibility(t(degraded), t(speech), 16000, extended=name == "estoi")
    )
    assert ours(name, degraded, speech) == pytest.approx(expected, abs=EXACT)


def test_mrstft_matches_auraloss_at_our_resolutions(speech, degraded):
    from auraloss.freq import MultiResolutionSTFTLoss

    from evals.metrics.spectral import MRSTFT_RESOLUTIONS

    loss = MultiResolutionSTFTLoss(
        fft_sizes=[n for n, _ in MRSTFT_RESOLUTIONS],
        hop_sizes=[h for _, h in MRSTFT_RESOLUTIONS],
        win_lengths=[n for n, _ in MRSTFT_RESOLUTIONS],
        w_sc=1.0,
        w_log_mag=1.0,
        w_lin_mag=0.0,
    )
    expected = float(loss(t(degraded)[None, None], t(speech)[None, None]))
    assert ours("mrstft", degraded, speech) == pytest.approx(expected, rel=MRSTFT_REL)


def ssr_eval_lsd(est: torch.Tensor, target: torch.Tensor) -> float:
    """ssr-eval 0.0.7 `AudioMetrics.lsd`, transcribed verbatim (magnitudes `[1, 1, T, F]`; log10 units).

    `pip install ssr_eval` fails: it depends on the PyPI package `wave`, which does not build on
    Python 3.11. The three lines are copied so that our formula is checked against theirs.
    """
    eps = 1e-12
    lsd = torch.log10(target**2 / ((est + eps) ** 2) + eps) ** 2
    lsd = torch.mean(torch.mean(lsd, dim=3) ** 0.5, dim=2)
    return float(lsd[..., None, None].squeeze())


def test_lsd_matches_ssr_eval_on_the_same_spectra(speech, degraded):
    from evals.metrics.spectral import LSD_HOP, LSD_N_FFT, magnitude

    spec = lambda x: magnitude(x, LSD_N_FFT, LSD_HOP).T[None, None]  # noqa: E731 - [1, 1, T, F]
    expected_db = 10.0 * ssr_eval_lsd(spec(degraded), spec(speech))
    assert ours("lsd", degraded, speech) == pytest.approx(expected_db, rel=LSD_REL)


def test_visqol_speech_equals_visqol_python_called_directly(speech, degraded):
    from visqol.api import VisqolApi

    api = VisqolApi()
    api.create(mode="speech", use_lattice_model=False)
    expected = api.measure_from_arrays(speech, degraded, 16000).moslqo
    assert ours("visqol_speech", degraded, speech) == pytest.approx(expected, abs=EXACT)
    assert ours("visqol_speech", speech, speech) == pytest.approx(5.0, abs=1e-6)


def test_visqol_audio_16k_equals_visqol_python_at_48k(speech, degraded):
    import soxr
    from visqol.api import VisqolApi

    api = VisqolApi()
    api.create(mode="audio")
    up = lambda x: soxr.resample(x, 16000, 48000)  # noqa: E731
    expected = api.measure_from_arrays(up(speech), up(degraded), 48000).moslqo
    assert ours("visqol_audio_16k", degraded, speech) == pytest.approx(expected, abs=EXACT)


@pytest.mark.parametrize("seconds", [2.0, 1.428, 3.125, 10.24])
def test_dnsmos_equals_speechmos_run(speech, degraded, seconds):
    """Lengths where windows repeat (2 s), do not line up (1.428 s, 3.125 s), and a long clip."""
    from speechmos import dnsmos

    n = int(seconds * 16000)
    estimate = np.resize(degraded, n)
    expected = dnsmos.run(np.clip(estimate, -1, 1), 16000)
    for part in ("sig", "bak", "ovrl"):
        assert ours(f"dnsmos_{part}", estimate, np.resize(speech, n)) == pytest.approx(
            expected[f"{part}_mos"], abs=DNSMOS_ABS
        )
