"""Bjøntegaard delta rate (BD-rate): how many more (or fewer) bits a test codec needs than an anchor
codec for the same quality, averaged over the quality range both curves cover.

Each curve is a set of points (R_i, Q_i): rate R in kbit/s (> 0) and quality Q, higher is better (pass
`higher_is_better=False` for a distance such as log-mel L1: its values are negated first, so "equal
quality" and the sign stay right). With r(Q) the piecewise cubic Hermite interpolant (pchip: scipy's
`PchipInterpolator`, integrated exactly) of ln R through a curve's points as a function of Q,
and the overlap
[Q_lo, Q_hi] = [max(min Q_A, min Q_T), min(max Q_A, max Q_T)] of anchor A and test T:

    mean ln-rate difference  D = 1 / (Q_hi - Q_lo) * integral from Q_lo to Q_hi of (r_T(Q) - r_A(Q)) dQ
    BD-rate                    = (exp(D) - 1) * 100 %

Negative: the test codec needs fewer bits than the anchor at equal quality; +25 %: a quarter more.
A test curve whose rates are the anchor's times k at the same qualities gives (k - 1) * 100 % exactly.

References: G. Bjøntegaard, "Calculation of average PSNR differences between RD-curves", ITU-T SG16/Q6
VCEG-M33, Austin, April 2001 (a cubic polynomial through four points); the piecewise cubic (pchip)
variant is the one of the JCT-VC / JVET common-test-condition BD-rate sheets (G. Bjøntegaard,
"Improvements of the BD-PSNR model", VCEG-AI11, 2008; reviewed in C. Herglotz et al., "The Bjøntegaard
Bible", IEEE TIP 2024). Pchip instead of one cubic: it never overshoots between points, keeps a
monotone curve monotone, and needs no fixed number of points.

Points:
- Each curve needs at least 2 points. With 2 the interpolant is a straight line in (Q, ln R); with 3
  or more it is pchip proper (VCEG-M33's single cubic needed 4).
- Only the rate-quality frontier counts (`frontier`): sorted by rate, a point is kept when its quality
  is above that of every cheaper point. A setting that spends more bits for no better quality is not on
  the curve; dropped points are counted in the result, never hidden.
- The overlap is never extrapolated: when the quality ranges do not overlap (or only touch) there is no
  number, and the reason says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.interpolate import PchipInterpolator

Point = tuple[float, float]
"""(rate in kbit/s, quality)."""

NO_OVERLAP = "ranges do not overlap"
MIN_POINTS = 2


@dataclass(frozen=True)
class BdRate:
    """A BD-rate in % (None, with `reason`, when there is no number); `overlap`: the quality range
    integrated over (in the metric's own values); `dropped`: points of the two curves off the frontier."""

    percent: float | None
    reason: str = ""
    overlap: tuple[float, float] | None = None
    dropped: int = 0


@dataclass(frozen=True)
class RateAt:
    """The rate at which a curve reaches a quality: `kbps` when within its measured range; else None and
    `where` says "not reached" (the quality lies above the curve's best) or "stays above" (the curve's
    cheapest point is already better)."""

    kbps: float | None
    where: str


def frontier(points: Sequence[Point]) -> tuple[list[Point], int]:
    """(the rate-quality frontier, how many points were left off): points with a finite rate > 0 and a
    finite quality, sorted by rate, each kept only when its quality is above every cheaper point's (so
    both rate and quality strictly increase along it)."""
    valid = [(float(r), float(q)) for r, q in points if math.isfinite(r) and r > 0 and math.isfinite(q)]
    kept: list[Point] = []
    for rate, quality in sorted(valid, key=lambda p: (p[0], -p[1])):
        if not kept or quality > kept[-1][1]:
            kept.append((rate, quality))
    return kept, len(points) - len(kept)


def _log_rate(points: list[Point]) -> PchipInterpolator:
    """The pchip of ln(rate) over quality through frontier points (qualities strictly increasing); with
    two points, the straight line."""
    return PchipInterpolator([q for _, q in points], [math.log(r) for r, _ in points], extrapolate=False)


def _oriented(points: Sequence[Point], higher_is_better: bool) -> list[Point]:
    return [(r, q) if higher_is_better else (r, -q) for r, q in points]


def bd_rate(anchor: Sequence[Point], test: Sequence[Point], *, higher_is_better: bool = True) -> BdRate:
    """The BD-rate of `test` against `anchor`, in % (see the module's formula); None with the reason when
    a curve has fewer than 2 frontier points or the quality ranges do not overlap."""
    a, dropped_a = frontier(_oriented(anchor, higher_is_better))
    t, dropped_t = frontier(_oriented(test, higher_is_better))
    dropped = dropped_a + dropped_t
    for name, curve in (("anchor", a), ("test", t)):
        if len(curve) < MIN_POINTS:
            return BdRate(
                None,
                f"the {name} curve's quality does not rise with its rate ({len(curve)} point(s) on its "
                "frontier, 2 needed)",
                None,
                dropped,
            )
    low, high = max(a[0][1], t[0][1]), min(a[-1][1], t[-1][1])
    if not low < high:
        return BdRate(None, NO_OVERLAP, None, dropped)
    mean = float(_log_rate(t).integrate(low, high) - _log_rate(a).integrate(low, high)) / (high - low)
    overlap = (low, high) if higher_is_better else (-high, -low)
    return BdRate(float(math.expm1(mean) * 100.0), "", overlap, dropped)


def rate_at_quality(points: Sequence[Point], quality: float, *, higher_is_better: bool = True) -> RateAt:
    """The rate at which the curve through `points` (its frontier) reaches `quality`: interpolated with
    the same pchip of ln(rate) as `bd_rate`, never extrapolated."""
    curve, _ = frontier(_oriented(points, higher_is_better))
    wanted = quality if higher_is_better else -quality
    if not curve:
        return RateAt(None, "no points")
    if wanted > curve[-1][1]:
        return RateAt(None, "not reached")
    if wanted < curve[0][1]:
        return RateAt(None, "stays above")
    if len(curve) == 1:
        return RateAt(curve[0][0], "within")
    return RateAt(float(math.exp(float(_log_rate(curve)(wanted)))), "within")
