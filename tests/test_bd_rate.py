"""BD-rate (evals/reports/bd_rate.py, rate_bd.py): exact on scaled curves, 0 on identical ones, no
number without overlap, the right sign for a lower-is-better metric, pchip as scipy's, and a bootstrap
interval that holds the estimate and narrows with more clips."""

from __future__ import annotations

import math

import pytest

from evals.reports.bd_rate import NO_OVERLAP, bd_rate, frontier, rate_at_quality
from evals.reports.rate_bd import bd_rates
from evals.reports.rate_curves import ALL, rate_table
from tests.rate_records import ladder_records

CURVES = {
    "two points": [(8.0, 2.0), (32.0, 3.5)],
    "three points": [(6.0, 1.6), (12.0, 2.9), (24.0, 3.3)],
    "concave": [(6.0, 1.5), (12.0, 2.6), (24.0, 3.4), (48.0, 3.9), (96.0, 4.2)],
    "uneven": [(3.0, 1.1), (3.5, 1.3), (10.0, 3.0), (64.0, 3.1)],
}


@pytest.mark.parametrize("name", CURVES)
@pytest.mark.parametrize("k", [0.5, 0.8, 1.25, 2.0, 3.7])
def test_rates_scaled_by_k_give_k_minus_1_exactly(name, k):
    curve = CURVES[name]
    result = bd_rate(curve, [(k * r, q) for r, q in curve])
    assert result.percent == pytest.approx((k - 1) * 100, abs=1e-9), name
    assert result.reason == "" and result.overlap == (curve[0][1], curve[-1][1])


@pytest.mark.parametrize("name", CURVES)
def test_identical_curves_give_zero(name):
    assert bd_rate(CURVES[name], CURVES[name]).percent == pytest.approx(0.0, abs=1e-12)


def test_two_points_are_a_straight_line_in_quality_and_log_rate():
    # anchor ln r = (q - 1)/2 ln 4, test ln r = ln 2 + (q - 1)/2 ln 2, q in [1, 3]: mean difference ln 2 / 2
    result = bd_rate([(1.0, 1.0), (4.0, 3.0)], [(2.0, 1.0), (4.0, 3.0)])
    assert result.percent == pytest.approx((math.sqrt(2) - 1) * 100, abs=1e-9)


def test_ranges_that_do_not_overlap_give_no_number_with_the_reason():
    low, high = [(6.0, 1.0), (12.0, 2.0)], [(24.0, 3.0), (48.0, 4.0)]
    for a, b in ((low, high), (high, low), (low, [(12.0, 2.0), (48.0, 4.0)])):  # the last only touches
        result = bd_rate(a, b)
        assert result.percent is None and result.reason == NO_OVERLAP == "ranges do not overlap"


def test_a_curve_of_one_point_gives_no_number():
    result = bd_rate(
        [(6.0, 1.0), (12.0, 2.0)], [(8.0, 1.5), (16.0, 1.5)]
    )  # equal quality: one on the frontier
    assert result.percent is None and "1 point(s)" in result.reason and result.dropped == 1


def test_lower_is_better_keeps_equal_quality_and_the_sign():
    anchor = [(6.0, 3.0), (12.0, 2.4), (24.0, 1.9), (48.0, 1.5)]  # a distance: falls as the rate grows
    half = [(r / 2, d) for r, d in anchor]  # the same distance at half the bits: a better codec
    assert bd_rate(anchor, half, higher_is_better=False).percent == pytest.approx(-50.0, abs=1e-9)
    assert bd_rate(half, anchor, higher_is_better=False).percent == pytest.approx(100.0, abs=1e-9)
    # read as higher-is-better, the distances are no curve at all (every point off the frontier but one)
    assert bd_rate(anchor, half).percent is None


def test_lower_is_better_metric_from_records_has_the_sign_of_its_higher_is_better_twin():
    clips = [f"speech_{i}" for i in range(3)]
    ladders = {"opus:kbps={}": (1.0, [6, 12, 24, 48]), "vae+x:bits={}": (2.0, [3, 6, 12, 24])}
    table = rate_table(ladder_records(clips, ladders), ["pesq_wb", "log_mel_l1"])
    results = {(r.clip_class, r.metric): r for r in bd_rates(table, ["pesq_wb", "log_mel_l1"], resamples=20)}
    for metric in ("pesq_wb", "log_mel_l1"):  # twice as efficient: half the bits at equal quality
        assert results[(ALL, metric)].percent == pytest.approx(-50.0, abs=1e-9), metric
    assert results[(ALL, "log_mel_l1")].overlap == pytest.approx(
        (5 - (1 + math.log(48)), 5 - (1 + math.log(6)))
    )


def test_points_off_the_frontier_are_dropped_and_counted():
    curve = CURVES["concave"]
    noisy = [*curve, (30.0, 2.0)]  # more bits than the 12 kbit/s point for less quality
    assert frontier(noisy) == (sorted(curve), 1)
    result = bd_rate(noisy, [(2 * r, q) for r, q in curve])
    assert result.percent == pytest.approx(100.0, abs=1e-9) and result.dropped == 1


def test_rate_at_quality_interpolates_and_never_extrapolates():
    curve = [(1.0, 1.0), (4.0, 3.0)]
    assert rate_at_quality(curve, 2.0).kbps == pytest.approx(2.0)  # ln r linear in q: the geometric mean
    assert rate_at_quality(curve, 3.5).where == "not reached"
    assert rate_at_quality(curve, 0.5).where == "stays above"
    assert rate_at_quality([(1.0, 3.0), (4.0, 1.0)], 2.0, higher_is_better=False).kbps == pytest.approx(2.0)


def _interval(n_clips: int):
    clips = [f"speech_{i}" for i in range(n_clips)]
    ladders = {"opus:kbps={}": (1.0, [6, 12, 24, 48]), "vae+x:bits={}": (1.5, [4, 8, 16, 32])}
    table = rate_table(ladder_records(clips, ladders, noise=0.3, seed=n_clips), ["pesq_wb"])
    return next(r for r in bd_rates(table, ["pesq_wb"], resamples=300, seed=1) if r.clip_class == ALL)


def test_the_bootstrap_interval_holds_the_estimate_and_narrows_with_more_clips():
    few, many = _interval(8), _interval(200)  # 25 times the clips: a fifth of the width expected
    for result in (few, many):
        low, high = result.interval
        assert low < result.percent < high and result.resamples == 300 and result.resamples_with_number > 150
    assert many.interval[1] - many.interval[0] < 0.6 * (few.interval[1] - few.interval[0])
    assert many.interval[0] < -100 / 3 < many.interval[1]  # the truth: 1/1.5 of the bits
    assert _interval(8) == few  # seeded


def test_retention_is_judged_clip_by_clip_before_it_is_averaged():
    """150 % on one clip and 50 % on the other are two misses of 100 %, not a perfect mean of 100 %: a
    test family whose clips straddle 100 % must not look perfect at every rate."""
    from tests.rate_records import record

    clips = ["speech_a", "speech_b"]
    records = []
    for rate, miss in [(4.0, 50.0), (8.0, 40.0), (16.0, 30.0)]:
        for clip, sign in zip(clips, (1, -1)):
            records.append(
                record(clip, f"vae+x:bits={rate:g}", rate, {"band_retention_high": 100 + sign * miss})
            )
    for rate, miss in [(4.0, 60.0), (8.0, 45.0), (16.0, 20.0)]:
        for clip in clips:
            records.append(record(clip, f"opus:kbps={rate:g}", rate, {"band_retention_high": 100 - miss}))
    (result,) = [
        r
        for r in bd_rates(rate_table(records, ["band_retention_high"]), ["band_retention_high"], resamples=20)
        if r.clip_class == ALL
    ]
    assert result.percent is not None, result  # three distinct points: a curve, not one collapsed point
    assert result.overlap == pytest.approx((50.0, 70.0)), result.overlap  # in 100 - |value - 100|


def test_the_containers_fixed_quantisations_are_drawn_but_not_bd_rated():
    clips = ["speech_a", "speech_b", "music_c"]
    records = ladder_records(clips, {"opus:kbps={}": (1.0, [6, 12, 24]), "vae+y:bits={}": (0.5, [4, 8, 16])})
    alone = bd_rates(rate_table(records, ["pesq_wb"]), ["pesq_wb"], resamples=10)
    records += ladder_records(clips, {"vae+y:quant={}": (4.0, [10, 20])}, metrics=("pesq_wb",))
    together = bd_rates(rate_table(records, ["pesq_wb"]), ["pesq_wb"], resamples=10)
    assert {r.family for r in together} == {"vae+y"}
    assert [r.percent for r in together] == [r.percent for r in alone]  # not joined to the bits= curve
