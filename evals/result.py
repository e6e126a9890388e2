"""Per-clip metric results that never lie: a value with a status and a reason, NaN when missing.

`evaluate` is the only place a metric function is called. It checks the declared preconditions
(length, silence, minimum duration), turns known library failures (`MetricSkipped`) into
"skipped" and anything else into "error", and refuses values outside the metric's valid range.
It never raises for a bad input: the runner must survive every clip.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np

from evals.registry import SAMPLE_RATE, Metric

OK, SKIPPED, ERROR = "ok", "skipped", "error"
SILENCE_PEAK = 1e-6
"""A signal whose peak is at or below this (-120 dBFS) counts as silent."""


class MetricSkipped(Exception):
    """Raised by a metric function when its input is outside what the metric can measure."""


@dataclass(frozen=True)
class MetricResult:
    """value is NaN unless status is "ok"; reason says why for "skipped" and "error"."""

    value: float
    status: str
    reason: str = ""

    def to_json(self) -> dict:
        data = asdict(self)
        data["value"] = None if math.isnan(self.value) else self.value
        return data

    @classmethod
    def from_json(cls, data: dict) -> MetricResult:
        value = data.get("value")
        return cls(float("nan") if value is None else float(value), data["status"], data.get("reason", ""))


def skipped(reason: str) -> MetricResult:
    return MetricResult(float("nan"), SKIPPED, reason)


def error(reason: str) -> MetricResult:
    return MetricResult(float("nan"), ERROR, reason)


def precondition(metric: Metric, estimate: np.ndarray, reference: np.ndarray) -> MetricResult | None:
    """The declared preconditions of `metric`; None when they hold."""
    if estimate.ndim != 1 or reference.ndim != 1:
        return error(f"expected 1-D signals; got shapes {estimate.shape} and {reference.shape}")
    if estimate.shape != reference.shape:
        return error(
            f"length mismatch: estimate {estimate.shape[0]} vs reference "
            f"{reference.shape[0]} samples; align and trim first (evals.running.align)"
        )
    if not (np.isfinite(estimate).all() and np.isfinite(reference).all()):
        return error("NaN or Inf samples")
    if reference.shape[0] == 0:
        return skipped("no overlap between estimate and reference (empty after alignment)")
    seconds = reference.shape[0] / SAMPLE_RATE
    if seconds < metric.min_seconds:
        return skipped(f"{seconds:.3f} s is shorter than the {metric.min_seconds} s {metric.name} needs")
    if seconds > metric.max_seconds:
        return skipped(
            f"{seconds:.0f} s is longer than the {metric.max_seconds:.0f} s {metric.name} "
            f"is run on; evaluate the file in shorter clips"
        )
    if metric.needs_reference_signal and np.abs(reference).max(initial=0.0) <= SILENCE_PEAK:
        return skipped("silent reference")
    if (
        metric.needs_reference_signal
        and np.abs(reference - reference.mean()).max(initial=0.0) <= SILENCE_PEAK
    ):
        return skipped("reference has no AC content (a constant: DC only, silent once its mean is removed)")
    if metric.needs_estimate_signal and np.abs(estimate).max(initial=0.0) <= SILENCE_PEAK:
        return skipped("silent estimate")
    return None


def evaluate(metric: Metric, estimate: np.ndarray, reference: np.ndarray) -> MetricResult:
    """Runs one metric on one pair; never raises for bad input."""
    estimate = np.asarray(estimate, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    failed = precondition(metric, estimate, reference)
    if failed is not None:
        return failed
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # overflow, 0/0: a failure, not a number
            value = float(metric.fn(estimate, reference))
    except MetricSkipped as why:
        return skipped(str(why))
    except Exception as err:  # noqa: BLE001 - every failure becomes a counted status
        return error(f"{type(err).__name__}: {' '.join(str(err).split())[:200]}")
    if not metric.in_range(value):
        return error(f"value {value!r} outside the valid range {metric.valid_range}")
    return MetricResult(value, OK)
