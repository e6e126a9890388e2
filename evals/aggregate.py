"""Aggregates over clips: counts of every status, and statistics over the ok values only."""

from __future__ import annotations

import math

import numpy as np

from evals.result import ERROR, OK, SKIPPED, MetricResult


def aggregate(results: list[MetricResult]) -> dict:
    """`{n_ok, n_skipped, n_error, mean, median, p10, p90}`; statistics are None without an ok value.

    p10 is the 10th percentile (for a higher-is-better metric, the worst tenth starts there).
    """
    values = np.array([r.value for r in results if r.status == OK], dtype=np.float64)
    stats = {"n_ok": int(values.size),
             "n_skipped": sum(r.status == SKIPPED for r in results),
             "n_error": sum(r.status == ERROR for r in results)}
    if values.size == 0:
        return {**stats, "mean": None, "median": None, "p10": None, "p90": None}
    return {**stats, "mean": float(values.mean()), "median": float(np.median(values)),
            "p10": float(np.percentile(values, 10)), "p90": float(np.percentile(values, 90))}


def fmt(value, digits: int = 3) -> str:
    """A number for a table: '-' for None/NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}g}" if abs(value) < 1e4 else f"{value:.3e}"


PERCENT_CAP = 1000.0


def readable(value, unit: str = "") -> str:
    """A value for a table: 3 significant digits, an exponent only for magnitudes under 0.001
    (`2.5e-05`); percentages past 1000 % capped in words; "-" for a missing value."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "-"
    if unit == "%":
        if abs(value) > PERCENT_CAP:
            return f"over {PERCENT_CAP:.0f} %" if value > 0 else f"under -{PERCENT_CAP:.0f} %"
        return f"{value:.0f} %" if abs(value) >= 10 else f"{value:.1f} %"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 0.001 or value == 0:
        return f"{value:.3g}"
    return f"{value:.1e}"
