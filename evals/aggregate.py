"""Aggregates over clips: counts of every status, and statistics over the ok values only."""

from __future__ import annotations

import numpy as np

from evals.result import ERROR, OK, SKIPPED, MetricResult


def aggregate(results: list[MetricResult]) -> dict:
    """`{n_ok, n_skipped, n_error, mean, median, p10, p90}`; statistics are None without an ok value.

    p10 is the 10th percentile (for a higher-is-better metric, the worst tenth starts there).
    """
    values = np.array([r.value for r in results if r.status == OK], dtype=np.float64)
    stats = {
        "n_ok": int(values.size),
        "n_skipped": sum(r.status == SKIPPED for r in results),
        "n_error": sum(r.status == ERROR for r in results),
    }
    if values.size == 0:
        return {**stats, "mean": None, "median": None, "p10": None, "p90": None}
    return {
        **stats,
        "mean": float(values.mean()),
        "median": float(np.median(values)),
        "p10": float(np.percentile(values, 10)),
        "p90": float(np.percentile(values, 90)),
    }
