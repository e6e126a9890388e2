"""Sample-level metrics. A mel codec sends no phase, so these are near 0 dB / 0 even for good
audio: they are kept because the reports used them, never as the headline.

`*_raw` use the output as it comes (the reports' definitions); the others use the lag-aligned
pair (see `evals.running.align`). Every codec output is already at the original gain.
"""

from __future__ import annotations

import numpy as np

from evals.registry import metric
from evals.result import MetricSkipped

_TINY = 1e-20


def _snr(estimate: np.ndarray, reference: np.ndarray) -> float:
    noise = np.sum((estimate - reference) ** 2)
    if noise <= _TINY:
        raise MetricSkipped("estimate equals reference: SNR is infinite")
    return float(10.0 * np.log10(np.sum(reference**2) / noise))


def _pearson(estimate: np.ndarray, reference: np.ndarray) -> float:
    e, r = estimate - estimate.mean(), reference - reference.mean()
    denominator = np.sqrt(np.sum(e**2) * np.sum(r**2))
    if denominator <= _TINY:
        raise MetricSkipped("a constant signal has no correlation")
    return float(np.clip(np.sum(e * r) / denominator, -1.0, 1.0))  # rounding can pass 1 by 1 ulp


@metric(
    "snr_raw", higher_is_better=True, unit="dB", valid_range=(-300.0, 300.0), aligned=False, tolerance=0.5
)
def snr_raw(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Reports' SNR: 10 log10(sum x^2 / sum (y - x)^2) over the raw samples, x reference, y estimate."""
    return _snr(estimate, reference)


@metric(
    "pearson_raw",
    higher_is_better=True,
    unit="",
    valid_range=(-1.0, 1.0),
    aligned=False,
    needs_estimate_signal=True,
    tolerance=0.02,
)
def pearson_raw(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Reports' correlation: Pearson's r over the raw samples."""
    return _pearson(estimate, reference)


@metric(
    "mse_raw",
    higher_is_better=False,
    unit="",
    valid_range=(0.0, 1e6),
    aligned=False,
    needs_reference_signal=False,
    tolerance=0.005,
)
def mse_raw(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Reports' MSE: mean (y - x)^2 over the raw samples (at the original gain)."""
    return float(np.mean((estimate - reference) ** 2))


@metric("snr", higher_is_better=True, unit="dB", valid_range=(-300.0, 300.0), tolerance=0.5)
def snr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """SNR as `snr_raw`, on the lag-aligned pair: 10 log10(sum x^2 / sum (y - x)^2)."""
    return _snr(estimate, reference)


@metric(
    "pearson",
    higher_is_better=True,
    unit="",
    valid_range=(-1.0, 1.0),
    needs_estimate_signal=True,
    tolerance=0.02,
)
def pearson(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Pearson's r on the lag-aligned pair."""
    return _pearson(estimate, reference)


@metric(
    "si_sdr",
    higher_is_better=True,
    unit="dB",
    valid_range=(-300.0, 300.0),
    tolerance=0.5,
    needs_estimate_signal=True,
)
def si_sdr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """SI-SDR (Le Roux et al. 2019), zero-mean: both signals have their mean removed first.

    With x = reference - mean, y = estimate - mean, a = <y, x> / <x, x>:
    10 log10(|a x|^2 / |a x - y|^2). Phase-sensitive: near meaningless for a mel codec.
    """
    x, y = reference - reference.mean(), estimate - estimate.mean()
    if np.dot(x, x) <= _TINY:
        raise MetricSkipped("the reference is constant after mean removal")
    scale = np.dot(y, x) / np.dot(x, x)
    target = scale * x
    residual = np.sum((target - y) ** 2)
    if residual <= _TINY:
        raise MetricSkipped("estimate is a scaled copy of the reference: SI-SDR is infinite")
    return float(10.0 * np.log10(np.sum(target**2) / residual))
