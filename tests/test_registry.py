"""The metric registry: complete metadata, and a new metric is picked up automatically."""

import math

import numpy as np
import pytest

from evals.metrics import all_metrics
from evals.registry import METRICS, metric
from evals.running.scoring import score_pair

EXPECTED = {
    "visqol_speech_lattice",
    "snr_raw",
    "pearson_raw",
    "mse_raw",
    "snr",
    "pearson",
    "si_sdr",
    "log_mel_l1",
    "log_mel_mse",
    "mel_psnr",
    "mel_ssim",
    "mrstft",
    "lsd",
    "band_retention_low",
    "band_retention_mid",
    "band_retention_high",
    "band_lsd_low",
    "band_lsd_mid",
    "band_lsd_high",
    "pesq_wb",
    "stoi",
    "estoi",
    "visqol_speech",
    "visqol_audio_16k",
    "dnsmos_sig",
    "dnsmos_bak",
    "dnsmos_ovrl",
}


def test_every_metric_the_issue_asks_for_is_registered():
    assert set(all_metrics()) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_metadata_is_complete(name):
    m = all_metrics()[name]
    assert m.description and m.family in {"waveform", "mel", "spectral", "bands", "perceptual", "mos"}
    low, high = m.valid_range
    assert low < high and m.tolerance > 0 and not math.isnan(low)


def test_a_new_metric_is_scored_without_touching_the_runner():
    @metric("test_peak_ratio", higher_is_better=True, unit="", valid_range=(0.0, 10.0), tolerance=0.1)
    def peak_ratio(estimate, reference):
        """max|y| / max|x|."""
        return float(np.abs(estimate).max() / np.abs(reference).max())

    try:
        x = np.sin(np.arange(16000) / 5.0)
        assert score_pair(0.5 * x, x).metrics["test_peak_ratio"].value == pytest.approx(0.5, abs=1e-3)
        with pytest.raises(ValueError, match="registered twice"):
            metric("test_peak_ratio", higher_is_better=True, unit="", valid_range=(0, 1))(peak_ratio)
    finally:
        METRICS.pop("test_peak_ratio")
