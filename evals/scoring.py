"""Scoring one (estimate, reference) pair with every registered metric; runs in worker processes."""

from __future__ import annotations

import numpy as np

from .align import disagrees, estimate_lag, shift, trim_to_common
from .registry import all_metrics
from .result import MetricResult, error, evaluate


def score_pair(estimate: np.ndarray, reference: np.ndarray, delay: int = 0,
               names: tuple[str, ...] | None = None) -> dict:
    """Every metric on one pair.

    Args:
        estimate, reference: 1-D float arrays `[N_e]`, `[N_r]` at 16 kHz, original gain (lengths may
            differ).
        delay: the method's delay in samples (`evals.align`): aligned metrics see the estimate shifted
            back by it; never a per-clip guess.
        names: metrics to compute (default: all registered).

    Returns:
        `{"delay_samples", "lag_estimate", "lag_peak", "lag_disagrees", "metrics": {name: MetricResult}}`.
        Raw metrics see the pair trimmed to the common length; aligned metrics see the pair shifted by
        `delay`, except that a phase-blind metric keeps the unshifted pair's value when that is better
        (the shift may never make it worse; the result's reason says so). lag_estimate / lag_peak are this clip's own cross-correlation (a diagnostic only);
        lag_disagrees flags a strong peak at another lag than `delay`.
    """
    metrics = all_metrics()
    names = tuple(metrics) if names is None else names
    if not (np.isfinite(estimate).all() and np.isfinite(reference).all()):
        return {"delay_samples": delay, "lag_estimate": None, "lag_peak": None, "lag_disagrees": False,
                "metrics": {name: error("NaN or Inf samples") for name in names}}
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
    return {"delay_samples": delay, "lag_estimate": lag, "lag_peak": peak,
            "lag_disagrees": disagrees(delay, lag, peak), "metrics": results}


def no_worse_than_unshifted(metric, shifted: MetricResult, raw: tuple[np.ndarray, np.ndarray]) -> MetricResult:
    """The shifted result, or the unshifted pair's when that is ok and better (said in its reason)."""
    unshifted = evaluate(metric, *raw)
    unshifted_not_better = shifted.status == "ok" and metric.worse_by(shifted.value, unshifted.value) >= 0
    if unshifted.status != "ok" or unshifted_not_better:
        return shifted
    return MetricResult(unshifted.value, unshifted.status,
                        "unshifted pair: it scored better than the pair shifted by the method's delay")


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)


def scoring_pool(jobs: int):
    """A process pool for `score_many` (spawned, one torch thread each), or None when jobs <= 1.

    Keep one for a whole run: each worker pays its imports and the learned metrics' first-call
    warm-up (about 3 s) once, not once per method.
    """
    if jobs <= 1:
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")  # fork after torch's OpenMP can deadlock
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_worker)


def score_many(pairs: list[tuple[np.ndarray, np.ndarray]], jobs: int, progress=None, delay: int = 0,
               names: tuple[str, ...] | None = None, pool=None) -> list[dict]:
    """`score_pair` over many pairs with one delay, on `pool` or `jobs` processes (inline when jobs <= 1
    or few pairs).

    `progress`, if given, is called once per scored pair (e.g. a tqdm bar's `update`).
    """
    from concurrent.futures.process import BrokenProcessPool

    tick = progress or (lambda: None)
    scored: list[dict] = []
    if pool is None and (jobs <= 1 or len(pairs) < 2):
        for e, r in pairs:
            scored.append(score_pair(e, r, delay, names))
            tick()
        return scored
    own = pool is None
    pool = pool or scoring_pool(jobs)
    n = len(pairs)
    try:
        for result in pool.map(score_pair, [e for e, _ in pairs], [r for _, r in pairs], [delay] * n, [names] * n):
            scored.append(result)
            tick()
    except BrokenProcessPool:  # e.g. a __main__ that spawn cannot re-import: finish inline
        for e, r in pairs[len(scored):]:
            scored.append(score_pair(e, r, delay, names))
            tick()
    finally:
        if own:
            pool.shutdown()
    return scored
