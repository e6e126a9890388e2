"""Scoring one (estimate, reference) pair with every registered metric (called by `worker.score_task`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from evals.metrics import all_metrics
from evals.result import MetricResult, error, evaluate
from evals.running.align import disagrees, estimate_lag, shift, trim_to_common
from evals.running.bandwidth import audio_bandwidth


@dataclass(frozen=True)
class Scores:
    """Every metric on one pair, with the delay applied and this clip's own lag (a diagnostic).

    Attributes:
        delay_samples: the method's delay that aligned metrics were shifted by (None: never scored).
        lag_estimate, lag_peak: this clip's own cross-correlation lag and peak, or None.
        lag_disagrees: a strong peak at another lag than `delay_samples`.
        metrics: metric name -> result.
        bandwidth_hz: the output's audio bandwidth against the reference's (`evals.running.bandwidth`).
    """

    delay_samples: int | None
    lag_estimate: int | None = None
    lag_peak: float | None = None
    lag_disagrees: bool = False
    metrics: dict[str, MetricResult] = field(default_factory=dict)
    bandwidth_hz: float | None = None


def score_pair(
    estimate: np.ndarray, reference: np.ndarray, delay: int = 0, names: tuple[str, ...] | None = None
) -> Scores:
    """Every metric on one pair.

    Args:
        estimate, reference: 1-D float arrays `[N_e]`, `[N_r]` at 16 kHz, original gain (lengths may
            differ).
        delay: the method's delay in samples (`evals.running.align`): aligned metrics see the estimate
            shifted back by it; never a per-clip guess.
        names: metrics to compute (default: all registered).

    Returns:
        The `Scores`. Raw metrics see the pair trimmed to the common length; aligned metrics see the
        pair shifted by `delay`, except that a phase-blind metric keeps the unshifted pair's value when
        that is better (the shift may never make it worse; the result's reason says so).
        lag_estimate / lag_peak are this clip's own cross-correlation (a diagnostic only);
        lag_disagrees flags a strong peak at another lag than `delay`.
    """
    metrics = all_metrics()
    names = tuple(metrics) if names is None else names
    if not (np.isfinite(estimate).all() and np.isfinite(reference).all()):
        return failed_scores("NaN or Inf samples", names, delay)
    raw = trim_to_common(estimate, reference)
    aligned = shift(estimate, reference, delay)
    try:
        lag, peak = estimate_lag(estimate, reference)
    except Exception:  # noqa: BLE001 - a diagnostic only; the metrics do not depend on it
        lag, peak = None, None
    results: dict[str, MetricResult] = {}
    for name in names:
        metric = metrics[name]
        results[name] = evaluate(metric, *(aligned if metric.aligned else raw))
        if delay and metric.aligned and metric.phase_blind:
            results[name] = no_worse_than_unshifted(metric, results[name], raw)
    try:
        bandwidth = audio_bandwidth(estimate, reference)
    except Exception:  # noqa: BLE001 - a description of the output; the metrics do not depend on it
        bandwidth = None
    return Scores(delay, lag, peak, disagrees(delay, lag, peak), results, bandwidth)


def no_worse_than_unshifted(
    metric, shifted: MetricResult, raw: tuple[np.ndarray, np.ndarray]
) -> MetricResult:
    """The shifted result, or the unshifted pair's when that is ok and better (said in its reason)."""
    unshifted = evaluate(metric, *raw)
    unshifted_not_better = shifted.status == "ok" and metric.worse_by(shifted.value, unshifted.value) >= 0
    if unshifted.status != "ok" or unshifted_not_better:
        return shifted
    return MetricResult(
        unshifted.value,
        unshifted.status,
        "unshifted pair: it scored better than the pair shifted by the method's delay",
    )


def failed_scores(reason: str, names: tuple[str, ...] | None = None, delay: int | None = None) -> Scores:
    """The `Scores` of a pair that could not be scored: every metric (default: all) an error with `reason`."""
    return Scores(delay, metrics={name: error(reason) for name in (names or tuple(all_metrics()))})
