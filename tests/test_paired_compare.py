"""Paired, per-class `compare` (evals.reports.compare_paired): a one-class regression the mean hides
is caught,
noise-only runs pass, the interval covers at its nominal rate, and the statistics agree with an
independent computation."""

import copy
import itertools
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evals.cli import main
from evals.metrics import all_metrics
from evals.reports.compare_means import compare
from evals.reports.compare_paired import interval, load_records, p_value, paired_compare, verdict
from evals.run_folder import clips_file

PERMUTATION_AGREEMENT = 1e-12
"""scipy's exact sign-flip p-value (2^n <= 9999 permutations) equals full enumeration."""
BOOTSTRAP_AGREEMENT = 0.05
"""scipy's percentile interval and a plain numpy bootstrap (100 000 resamples) agree within 5 % of
the interval's width (both are Monte Carlo)."""
NOMINAL_COVERAGE_FLOOR = 0.85
"""95 % percentile-bootstrap intervals of a mean cover the truth in at least 85 % of 60 trials of
n = 30 (they under-cover a little at small n; the binomial spread at 60 trials is about 3 %)."""


def records(values: dict[str, float], method="m", metric="log_mel_l1") -> list[dict]:
    return [
        {"method": method, "clip": clip, "metrics": {metric: {"value": v, "status": "ok", "reason": ""}}}
        for clip, v in values.items()
    ]


def one_class_change(n=20, seed=0):
    """A: log-mel L1 around 0.3 on two classes; B: class x worse by 0.03, class y better by 0.025."""
    rng = np.random.default_rng(seed)
    a = {f"{c}{i}": float(0.3 + 0.1 * rng.standard_normal()) for c in "xy" for i in range(n)}
    b = {
        clip: v + (0.03 if clip[0] == "x" else -0.025) + 0.002 * rng.standard_normal()
        for clip, v in a.items()
    }
    return a, b, {clip: clip[0] for clip in a}


def means_only(values: dict[str, float]) -> dict:
    return {
        "methods": {
            "m": {
                "status": "ran",
                "metrics": {
                    "log_mel_l1": {
                        "mean": float(np.mean(list(values.values()))),
                        "n_ok": len(values),
                        "n_error": 0,
                        "higher_is_better": False,
                    }
                },
            }
        }
    }


def test_a_one_class_regression_is_caught_where_the_mean_compare_misses_it():
    a, b, classes = one_class_change()
    old = compare(means_only(a), means_only(b))
    assert not any(r["regression"] for r in old), old  # all-clip mean moved by ~0.0025 < 0.02
    rows, unpaired = paired_compare(records(a), records(b), classes)
    by_class = {r.clip_class: r for r in rows}
    assert by_class["x"].verdict == "regressed" and by_class["x"].ci[0] > 0.02
    assert by_class["y"].verdict == "improved"
    assert by_class["*"].verdict in ("unchanged", "inconclusive")
    assert unpaired == {"only_a": [], "only_b": []}
    assert by_class["x"].changed_most and by_class["x"].changed_most[0][0].startswith("x")


def test_verdicts_need_the_whole_interval_past_the_threshold():
    assert verdict((0.03, 0.05), 0.02) == "regressed"
    assert verdict((-0.05, -0.03), 0.02) == "improved"
    assert verdict((-0.01, 0.01), 0.02) == "unchanged"
    assert verdict((0.01, 0.05), 0.02) == "inconclusive"
    assert interval(np.array([0.4])) == (0.4, 0.4)  # one broken clip in a class of one is judged on itself


def test_p_value_equals_full_sign_flip_enumeration():
    worse = np.random.default_rng(3).normal(0.01, 0.02, 10)
    observed = abs(worse.mean())
    flips = [abs(np.mean(worse * np.array(s))) for s in itertools.product((1, -1), repeat=len(worse))]
    exact = np.mean([f >= observed - 1e-15 for f in flips])
    assert p_value(worse) == pytest.approx(exact, abs=PERMUTATION_AGREEMENT)


def test_interval_agrees_with_a_plain_numpy_bootstrap():
    worse = np.random.default_rng(4).normal(0.01, 0.05, 25)
    means = np.random.default_rng(5).choice(worse, size=(100_000, worse.size)).mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    ours = interval(worse)
    width = high - low
    assert ours[0] == pytest.approx(low, abs=BOOTSTRAP_AGREEMENT * width)
    assert ours[1] == pytest.approx(high, abs=BOOTSTRAP_AGREEMENT * width)


@settings(max_examples=6, deadline=None, derandomize=True)
@given(st.floats(-0.1, 0.1), st.floats(0.005, 0.2), st.integers(0, 10_000))
def test_the_interval_covers_the_true_difference_at_about_its_nominal_rate(mu, sigma, seed):
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(60):
        low, high = interval(rng.normal(mu, sigma, 30))
        hits += low <= mu <= high
    assert hits / 60 >= NOMINAL_COVERAGE_FLOOR


def test_records_in_one_run_only_and_lost_values_are_reported_and_fail(tmp_path, capsys):
    a, b, _ = one_class_change(n=3)
    ra, rb = records(a), records(b)
    rb = [r for r in rb if r["clip"] != "x0"] + records({"new": 0.3})
    lost = copy.deepcopy(rb)
    lost[0]["metrics"]["log_mel_l1"] = {"value": None, "status": "error", "reason": "boom"}
    for name, rows in (("a", ra), ("b", lost)):
        (tmp_path / name).mkdir()
        clips_file(tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    out = capsys.readouterr().out
    assert "only in A (not compared): m / x0" in out and "only in B (not compared): m / new" in out
    assert "ok -> error (boom)" in out


def test_fail_class_limits_what_can_fail(tmp_path):
    a, b, _ = one_class_change()
    for name, values in (("a", a), ("b", b)):
        (tmp_path / name).mkdir()
        rows = records(values)
        clips_file(tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    # clips x0.. y0.. are not golden clips: only the all-clips group exists, and it is not regressed
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert (
        main(
            [
                "compare",
                str(tmp_path / "a"),
                str(tmp_path / "b"),
                "--tolerance-scale",
                "0",
                "--fail-metric",
                "pesq_wb",
            ]
        )
        == 0
    )


NOISE_RUN_METRICS = ["log_mel_l1", "pesq_wb", "stoi", "band_lsd_high", "band_retention_high"]


def _golden_run(out, env) -> subprocess.Popen:
    """Starts the golden set through griffinlim and vae+griffinlim in a fresh process with `env`."""
    from evals.gating.golden_set import golden_clips

    cmd = [
        sys.executable,
        "-m",
        "evals",
        "run",
        *[str(e["path"]) for e in golden_clips().values()],
        "-o",
        str(out),
        "--no-audio",
        "--no-report",
        "--no-progress",
        "--jobs",
        "1",
        "-m",
        "griffinlim",
        "-m",
        "vae+griffinlim",
        "--weights",
        "golden/reference",
    ] + [a for m in NOISE_RUN_METRICS for a in ("--metric", m)]
    return subprocess.Popen(cmd, env={**os.environ, "OMP_NUM_THREADS": "1", **env}, stdout=subprocess.DEVNULL)


def test_runs_that_differ_only_by_reproducibility_noise_pass(tmp_path, capsys):
    # side by side, one core each; B on MKL's compatible code path and oneDNN capped at SSE4.1: the
    # perturbations that move these methods most (golden/noise.json)
    runs = [
        _golden_run(tmp_path / "a", {}),
        _golden_run(tmp_path / "b", {"MKL_CBWR": "COMPATIBLE", "ONEDNN_MAX_CPU_ISA": "SSE41"}),
    ]
    assert all(p.wait(timeout=600) == 0 for p in runs)
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0, capsys.readouterr().out
    assert all(m in all_metrics() for m in NOISE_RUN_METRICS)
    values = [
        {
            (r["method"], r["clip"], n): m["value"]
            for r in load_records(tmp_path / x)
            for n, m in r["metrics"].items()
        }
        for x in "ab"
    ]
    moved = sum(values[0][k] != values[1].get(k) for k in values[0])
    assert moved > 0, "the perturbation moved nothing: the test would prove nothing"
