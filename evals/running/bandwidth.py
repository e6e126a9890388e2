"""The audio bandwidth a codec kept: the highest frequency up to which its output still carries the
reference's spectrum (a narrowband Opus stream stops near 4 kHz, MP3 at low rates near 5.5 kHz).

Measured, never read from a setting: both signals' long-term spectra (Welch, 512-sample Hann
segments: 31.25 Hz bins at 16 kHz) are compared in `BAND_HZ` bands. A band is kept when the output's
power there is at least `KEPT_DB` of the reference's; bands where the reference itself is `QUIET_DB`
below its loudest band say nothing and are passed over. The bandwidth is the upper edge of the
highest kept band, so a hole in the middle of the spectrum does not cut it short.
"""

from __future__ import annotations

import numpy as np

BAND_HZ = 250.0
"""Width of the bands compared (Hz): coarse enough that one quiet bin does not decide."""
KEPT_DB = -20.0
"""An output band at least this many dB relative to the reference's is kept (1 % of its power)."""
QUIET_DB = -60.0
"""Reference bands this far below its loudest band are too quiet to tell anything."""


def audio_bandwidth(estimate: np.ndarray, reference: np.ndarray, sample_rate: int = 16000) -> float | None:
    """The output's bandwidth in Hz against the reference (see the module), or None.

    Args:
        estimate, reference: 1-D float arrays `[N_e]`, `[N_r]` at `sample_rate` (lengths may differ).

    Returns:
        The upper edge of the highest kept band (at most `sample_rate / 2`), 0.0 when no band is kept,
        None when either signal is shorter than one segment or the reference is silent.
    """
    from scipy.signal import welch

    segment = 512
    if min(len(estimate), len(reference)) < segment:
        return None
    freqs, ref_power = welch(np.asarray(reference, np.float64), sample_rate, nperseg=segment)
    _, est_power = welch(np.asarray(estimate, np.float64), sample_rate, nperseg=segment)
    edges = np.arange(0.0, sample_rate / 2 + BAND_HZ, BAND_HZ)
    band = np.clip(np.digitize(freqs, edges) - 1, 0, len(edges) - 2)
    ref_bands = np.bincount(band, ref_power, len(edges) - 1)
    est_bands = np.bincount(band, est_power, len(edges) - 1)
    if ref_bands.max() <= 0:
        return None
    informative = ref_bands >= ref_bands.max() * 10 ** (QUIET_DB / 10)
    kept = informative & (est_bands >= ref_bands * 10 ** (KEPT_DB / 10))
    if not kept.any():
        return 0.0
    return float(min(edges[np.flatnonzero(kept)[-1] + 1], sample_rate / 2))
