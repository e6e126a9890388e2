"""BD-rate of every VAE family (`vae+...`) against the anchor family (`opus`), per clip class and over
all clips, per metric, with a bootstrap interval over clips.

The point estimate is `bd_rate.bd_rate` between the two families' curves (`rate_curves`). The interval:
resample the class's clip ids with replacement (`RESAMPLES` times, a seeded generator), recompute every
point (rates and metric means over the resampled clips, a clip drawn twice counting twice) and the
BD-rate; the 95 % percentile interval of the resamples that give a number. When fewer than half do
(the curves stop overlapping in most resamples), or the class has one clip, there is no interval, and
the reason says so.

Quality is the metric oriented so that higher is better, by the registry's own rule (`Metric.worse_by`):
the value, its negative for a distance (log-mel L1, MR-STFT, LSD), and 100 - |value - 100| for retention.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from evals.metrics import all_metrics
from evals.reports.bd_rate import bd_rate
from evals.reports.rate_curves import RateTable, family, is_container_sweep, oriented

ANCHOR = "opus"
TEST_PREFIX = "vae+"
RESAMPLES = 1000
SEED = 0
CONFIDENCE = 0.95
MIN_SHARE = 0.5
"""The least share of resamples that must give a number for an interval."""


@dataclass(frozen=True)
class BdResult:
    """The BD-rate of `family` against `anchor` on `metric` over the clips of `clip_class`: `percent`
    (None with `reason`), its bootstrap `interval` (None with `reason` when too few resamples gave a
    number), the `overlap` of the two curves integrated over (in the metric's values; retention in
    100 - |value - 100|), and counts."""

    family: str
    anchor: str
    clip_class: str
    metric: str
    percent: float | None
    interval: tuple[float, float] | None
    reason: str
    n_clips: int
    resamples: int
    """Resamples drawn (0: no point estimate, or one clip)."""
    resamples_with_number: int
    overlap: tuple[float, float] | None = None
    dropped: int = 0


def quality(metric: str, values: np.ndarray) -> np.ndarray:
    """`values` of `metric` oriented so that higher is better (`rate_curves.oriented`)."""
    return oriented(metric, values)


def _in_values(metric: str, overlap: tuple[float, float] | None) -> tuple[float, float] | None:
    """A quality range back in the metric's values (retention stays in 100 - |value - 100|)."""
    m = all_metrics()[metric]
    if overlap is None or m.higher_is_better or metric.startswith("band_retention_"):
        return overlap
    return -overlap[1], -overlap[0]


def _points(rates: list[float], qualities: list[float], specs: list[int]) -> list[tuple[float, float]]:
    """(rate, quality) of `specs` (indices) where both are numbers."""
    return [
        (rates[s], qualities[s]) for s in specs if math.isfinite(rates[s]) and math.isfinite(qualities[s])
    ]


def _class_weights(table: RateTable, members: np.ndarray, draws: np.ndarray | None) -> np.ndarray:
    """Clip weights: 1 for each member (draws None), else per resample the count of each clip drawn."""
    if draws is None:
        weights = np.zeros(len(table.clips))
        weights[members] = 1.0
        return weights
    weights = np.zeros((len(draws), len(table.clips)))
    np.add.at(weights, (np.arange(len(draws))[:, None], members[draws]), 1.0)
    return weights


def _interval(values: list[float], resamples: int) -> tuple[tuple[float, float] | None, str]:
    if len(values) < MIN_SHARE * resamples or not values:
        return None, f"no interval: only {len(values)} of {resamples} resamples give a number"
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return (float(low), float(high)), ""


def bd_rates(
    table: RateTable,
    metrics: list[str],
    *,
    anchor: str = ANCHOR,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> list[BdResult]:
    """Every VAE family of `table` against `anchor`, per class (`ALL` first) and metric of `metrics` the
    table has; [] when the table has no `anchor` family."""
    families = [family(s) for s in table.specs]
    anchor_specs = [i for i, f in enumerate(families) if f == anchor]
    tests = {
        f: [i for i, g in enumerate(families) if g == f]
        for f in families
        if f.startswith(TEST_PREFIX) and not is_container_sweep(f)
    }
    if not anchor_specs or not tests:
        return []
    rng = np.random.default_rng(seed)
    out = []
    for clip_class in table.class_names():
        members = table.members(clip_class)
        weights = _class_weights(table, members, None)
        boot = _class_weights(table, members, rng.integers(0, len(members), (resamples, len(members))))
        for metric in (m for m in metrics if m in table.values):
            rates, boot_rates = table.rates(weights, metric).tolist(), table.rates(boot, metric).tolist()
            q = table.means(metric, weights, orient=True)[0].tolist()
            boot_q = table.means(metric, boot, orient=True)[0].tolist()
            for name, specs in sorted(tests.items()):
                point = bd_rate(_points(rates, q, anchor_specs), _points(rates, q, specs))
                found: list[float] = []
                if point.percent is not None and len(members) > 1:
                    for b in range(resamples):
                        again = bd_rate(
                            _points(boot_rates[b], boot_q[b], anchor_specs),
                            _points(boot_rates[b], boot_q[b], specs),
                        )
                        if again.percent is not None:
                            found.append(again.percent)
                drawn = resamples if point.percent is not None and len(members) > 1 else 0
                interval, why = _interval(found, drawn) if drawn else (None, "")
                if point.percent is not None and len(members) < 2:
                    why = "no interval from one clip"
                out.append(
                    BdResult(
                        family=name,
                        anchor=anchor,
                        clip_class=clip_class,
                        metric=metric,
                        percent=point.percent,
                        interval=interval,
                        reason=point.reason or why,
                        n_clips=len(members),
                        resamples=drawn,
                        resamples_with_number=len(found),
                        overlap=_in_values(metric, point.overlap),
                        dropped=point.dropped,
                    )
                )
    return out
