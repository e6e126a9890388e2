"""Each metric against an independent reference: closed forms on known signals, direct library calls."""

import math

import librosa
import numpy as np
import pytest
import scipy.stats
from pesq import pesq
from pystoi import stoi
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from tests.helpers import example_speech, ok_metric_value

CLOSED_FORM_ATOL = 1e-6
SPECTRAL_ATOL = 0.02
"""Closed forms on STFT metrics hold up to the 1e-7 / 1e-10 epsilons and window edge effects."""
MEL_REFERENCE_ATOL = 1e-3


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return example_speech()


@pytest.fixture(scope="module")
def noisy(speech) -> np.ndarray:
    return speech + np.random.default_rng(0).normal(0.0, 0.01, speech.shape)


value = ok_metric_value


@pytest.mark.parametrize("name", ["snr_raw", "snr"])
def test_snr_closed_form(speech, name):
    assert math.isclose(value(name, 0.9 * speech, speech), 20.0, abs_tol=CLOSED_FORM_ATOL)


@pytest.mark.parametrize("name", ["pearson_raw", "pearson"])
def test_pearson_matches_scipy(speech, noisy, name):
    assert math.isclose(
        value(name, noisy, speech), scipy.stats.pearsonr(noisy, speech)[0], abs_tol=CLOSED_FORM_ATOL
    )


def test_mse_closed_form(speech):
    assert math.isclose(value("mse_raw", speech + 0.1, speech), 0.01, abs_tol=CLOSED_FORM_ATOL)


def test_si_sdr_closed_form_zero_mean_and_scale_invariant(speech):
    x = speech - speech.mean()
    e = np.random.default_rng(1).normal(size=x.shape)
    e -= e.mean()
    e -= np.dot(e, x) / np.dot(x, x) * x  # orthogonal to x, zero mean
    e *= 0.1 * np.linalg.norm(x) / np.linalg.norm(e)  # |e| = |x| / 10 -> 20 dB
    assert math.isclose(value("si_sdr", 3.0 * x + e + 0.2, speech), 10 * math.log10(9 / 0.01), abs_tol=1e-6)


def test_pesq_and_stoi_equal_direct_library_calls(speech, noisy):
    assert value("pesq_wb", noisy, speech) == pytest.approx(
        pesq(16000, speech.astype(np.float32), noisy.astype(np.float32), "wb"), abs=1e-6
    )
    assert value("stoi", noisy, speech) == pytest.approx(stoi(speech, noisy, 16000), abs=1e-9)
    assert value("estoi", noisy, speech) == pytest.approx(stoi(speech, noisy, 16000, extended=True), abs=1e-9)
    assert value("pesq_wb", speech, speech) == pytest.approx(4.644, abs=1e-3)


def test_doubling_the_estimate_closed_forms(speech):
    noise = np.random.default_rng(2).normal(0, 0.1, 32000)  # broadband: no bin near the epsilons
    doubled = 2.0 * noise
    assert value("mrstft", doubled, noise) == pytest.approx(1.0 + math.log(2), abs=SPECTRAL_ATOL)
    assert value("lsd", doubled, noise) == pytest.approx(10 * math.log10(4), abs=SPECTRAL_ATOL)
    for band in ("low", "mid", "high"):
        assert value(f"band_retention_{band}", doubled, noise) == pytest.approx(400.0, rel=1e-6)
        assert value(f"band_lsd_{band}", doubled, noise) == pytest.approx(
            10 * math.log10(4), abs=SPECTRAL_ATOL
        )
    assert value("log_mel_l1", doubled, noise) == pytest.approx(math.log(2), abs=SPECTRAL_ATOL)


def test_band_retention_sees_a_low_pass(speech):
    spectrum = np.fft.rfft(speech)
    spectrum[np.fft.rfftfreq(len(speech), 1 / 16000) >= 3500] = 0
    lowpassed = np.fft.irfft(spectrum, len(speech))
    assert value("band_retention_high", lowpassed, speech) < 1.0
    assert value("band_retention_low", lowpassed, speech) == pytest.approx(100.0, abs=2.0)


def test_log_mel_metrics_match_an_independent_librosa_log_mel(speech, noisy):
    gain = 0.5 / (np.abs(speech - speech.mean()).max() + 1e-8)
    basis = librosa.filters.mel(sr=16000, n_fft=1024, n_mels=64, fmin=0, fmax=8000)

    def mel(x):
        spec = np.abs(librosa.stft((x - x.mean()) * gain, n_fft=1024, hop_length=160, pad_mode="reflect"))
        return np.log(np.maximum(basis @ spec, 1e-5))

    diff = mel(noisy) - mel(speech)
    assert value("log_mel_l1", noisy, speech) == pytest.approx(np.abs(diff).mean(), abs=MEL_REFERENCE_ATOL)
    assert value("log_mel_mse", noisy, speech) == pytest.approx((diff**2).mean(), rel=1e-2)


def test_mel_psnr_ssim_match_skimage_on_an_independent_audioldm_eval_mel(speech, noisy):
    basis = librosa.filters.mel(sr=16000, n_fft=512, n_mels=64, fmin=50, fmax=8000)

    def eval_mel(x):
        x = np.clip(x - x.mean(), -1, 1)
        spec = np.abs(librosa.stft(x, n_fft=512, hop_length=160, win_length=512, pad_mode="reflect"))
        return np.clip((np.log10(np.maximum(basis @ spec, 1e-5)) * 20 - 20 + 100) / 100, 0, 1)

    est, ref = eval_mel(noisy), eval_mel(speech)
    expected_psnr = peak_signal_noise_ratio(ref, est, data_range=1.0)
    expected_ssim = structural_similarity(
        ref, est, data_range=max(est.max(), ref.max()) - min(est.min(), ref.min())
    )
    assert value("mel_psnr", noisy, speech) == pytest.approx(expected_psnr, abs=0.01)
    assert value("mel_ssim", noisy, speech) == pytest.approx(expected_ssim, abs=1e-3)


def test_band_edges_are_500_hz_and_4_khz():
    t = np.arange(32000) / 16000

    def tone(f):
        return np.sin(2 * np.pi * f * t)

    reference = tone(450) + tone(620) + tone(3800) + tone(4300)
    without_3800 = tone(450) + tone(620) + tone(4300)
    assert value("band_retention_low", without_3800, reference) == pytest.approx(100.0, abs=1.0)
    assert value("band_retention_mid", without_3800, reference) == pytest.approx(50.0, abs=1.0)
    assert value("band_retention_high", without_3800, reference) == pytest.approx(100.0, abs=1.0)
