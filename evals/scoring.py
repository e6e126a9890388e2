"""Scoring one (estimate, reference) pair with every registered metric; runs in worker processes."""

from __future__ import annotations

import numpy as np

from .align import align, trim_to_common
from .registry import all_metrics
from .result import MetricResult, error, evaluate


def score_pair(estimate: np.ndarray, reference: np.ndarray, names: tuple[str, ...] | None = None) -> dict:
    """Every metric on one pair.

    Args:
        estimate, reference: 1-D float arrays at 16 kHz, original gain (lengths may differ).
        names: metrics to compute (default: all registered).

    Returns:
        `{"lag_samples", "lag_peak", "lag_reliable", "metrics": {name: MetricResult}}`. Raw metrics see the pair
        trimmed to the common length; aligned metrics see the lag-aligned pair.
    """
    metrics = all_metrics()
    names = tuple(metrics) if names is None else names
    if not (np.isfinite(estimate).all() and np.isfinite(reference).all()):
        return {"lag_samples": None, "lag_peak": None, "lag_reliable": False,
                "metrics": {name: error("NaN or Inf samples") for name in names}}
    raw = trim_to_common(estimate, reference)
    try:
        aligned = align(estimate, reference)
        lag, peak, reliable = aligned.lag, aligned.peak, aligned.reliable
    except Exception as err:  # noqa: BLE001 - reported per metric below
        aligned, lag, peak, reliable = None, None, None, False
        why = f"alignment failed: {type(err).__name__}: {err}"
    results: dict[str, MetricResult] = {}
    for name in names:
        metric = metrics[name]
        if metric.aligned and aligned is None:
            results[name] = error(why)
            continue
        pair = (aligned.estimate, aligned.reference) if metric.aligned else raw
        results[name] = evaluate(metric, *pair)
    return {"lag_samples": lag, "lag_peak": peak, "lag_reliable": reliable, "metrics": results}


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)


def score_many(pairs: list[tuple[np.ndarray, np.ndarray]], jobs: int, progress=None) -> list[dict]:
    """`score_pair` over many pairs, on `jobs` processes (inline when jobs <= 1 or few pairs).

    `progress`, if given, is called once per scored pair (e.g. a tqdm bar's `update`).
    """
    tick = progress or (lambda: None)
    if jobs <= 1 or len(pairs) < 2:
        scored = []
        for e, r in pairs:
            scored.append(score_pair(e, r))
            tick()
        return scored
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("spawn")  # fork after torch's OpenMP can deadlock
    scored: list[dict] = []
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_worker) as pool:
            for result in pool.map(score_pair, [e for e, _ in pairs], [r for _, r in pairs]):
                scored.append(result)
                tick()
    except BrokenProcessPool:  # e.g. a __main__ that spawn cannot re-import: finish inline
        for e, r in pairs[len(scored):]:
            scored.append(score_pair(e, r))
            tick()
    return scored
