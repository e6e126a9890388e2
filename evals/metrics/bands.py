"""Per-band energy retention and per-band log-spectral distance, the reports' three bands.

Retention alone rewards added noise (it can exceed 100 %), so each band also gets a
log-spectral distance restricted to its bins. STFT: n_fft 1024, hop 256, Hann, centred,
reflect; a bin belongs to a band when low <= f < high (Hz).
"""

from __future__ import annotations

import numpy as np

from evals.metrics.spectral import log_spectral_distance, magnitude
from evals.registry import SAMPLE_RATE, metric
from evals.result import MetricSkipped

BANDS = {"low": (0.0, 500.0), "mid": (500.0, 4000.0), "high": (4000.0, SAMPLE_RATE / 2 + 1)}
"""The reports' bands: < 500 Hz, 500 Hz - 4 kHz, > 4 kHz."""

N_FFT, HOP = 1024, 256
SILENT_BAND_ENERGY = 1e-10
"""A reference band with less total energy than this has no retention to measure."""


def _band_powers(estimate, reference, band: str):
    low, high = BANDS[band]
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
    rows = np.flatnonzero((freqs >= low) & (freqs < high))
    ref = magnitude(reference, N_FFT, HOP)[rows] ** 2
    est = magnitude(estimate, N_FFT, HOP)[rows] ** 2
    return est, ref


def band_retention(estimate: np.ndarray, reference: np.ndarray, band: str) -> float:
    """100 * sum P_y / sum P_x over the band's STFT bins (%), x reference, y estimate."""
    est, ref = _band_powers(estimate, reference, band)
    if float(ref.sum()) <= SILENT_BAND_ENERGY:
        raise MetricSkipped(f"the reference has no energy in the {band} band")
    return 100.0 * float(est.sum() / ref.sum())


def band_lsd(estimate: np.ndarray, reference: np.ndarray, band: str) -> float:
    """Log-spectral distance (as `lsd`) restricted to the band's bins (dB)."""
    est, ref = _band_powers(estimate, reference, band)
    if float(ref.sum()) <= SILENT_BAND_ENERGY:
        raise MetricSkipped(f"the reference has no energy in the {band} band")
    return log_spectral_distance(est, ref)


def _register(band: str) -> None:
    low, high = BANDS[band]
    span = f"{low:.0f}-{min(high, SAMPLE_RATE / 2):.0f} Hz"

    def retention(estimate, reference):
        return band_retention(estimate, reference, band)

    def distance(estimate, reference):
        return band_lsd(estimate, reference, band)

    retention.__doc__ = f"Energy retention in {span}: 100 * sum P_y / sum P_x over its bins (%)."
    distance.__doc__ = f"Log-spectral distance in {span} (dB), as `lsd` on n_fft 1024 / hop 256."
    # Retention is best at 100 %, not at its maximum: `compare` judges |100 - value|.
    top = band == "high"  # the headline band: energy and distance above 4 kHz
    metric(
        f"band_retention_{band}",
        phase_blind=True,
        higher_is_better=True,
        unit="%",
        valid_range=(0.0, float("inf")),
        tolerance=5.0,
        headline=7 if top else 0,
        label="energy > 4 kHz" if top else "",
    )(retention)
    metric(
        f"band_lsd_{band}",
        phase_blind=True,
        higher_is_better=False,
        unit="dB",
        valid_range=(0.0, 1e3),
        tolerance=0.3,
        headline=9 if top else 0,
        label="LSD > 4 kHz" if top else "",
    )(distance)


for _band in BANDS:
    _register(_band)
