"""`python -m evals compare`: differences, regressions beyond tolerance, exit codes for CI."""

import copy
import json

import pytest

from evals.cli import main
from evals.reports.compare_means import compare
from evals.running.config import RunConfig
from evals.running.runner import run
from tests.helpers import GOLDEN


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "a"
    run(
        RunConfig(
            outdir=out,
            inputs=[str(GOLDEN / "examples" / "speech_male_arctic_a0007.flac")],
            methods=["griffinlim"],
            save_audio=False,
            jobs=1,
            progress=False,
        )
    )
    return out


def write_changed(baseline_run, tmp_path, change) -> str:
    summary = json.loads((baseline_run / "summary.json").read_text())
    change(summary["methods"]["griffinlim"])
    path = tmp_path / "b.json"
    path.write_text(json.dumps(summary))
    return str(path)


def test_a_run_against_itself_passes(baseline_run, capsys):
    assert main(["compare", str(baseline_run), str(baseline_run)]) == 0
    assert "0 regressed row(s)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "metric, delta, regression",
    [
        ("pesq_wb", -0.2, True),
        ("pesq_wb", +0.2, False),
        ("pesq_wb", -0.01, False),
        ("log_mel_l1", +0.1, True),
        ("log_mel_l1", -0.1, False),
    ],
)
def test_worse_beyond_tolerance_is_a_regression(baseline_run, tmp_path, capsys, metric, delta, regression):
    def change(info):
        info["metrics"][metric]["mean"] += delta

    b = write_changed(baseline_run, tmp_path, change)
    assert main(["compare", str(baseline_run), b]) == (1 if regression else 0)
    assert ("REGRESSION" in capsys.readouterr().out) == regression


def test_retention_is_judged_by_its_distance_to_100(baseline_run):
    a = json.loads((baseline_run / "summary.json").read_text())
    b = copy.deepcopy(a)
    b["methods"]["griffinlim"]["metrics"]["band_retention_high"]["mean"] = 180.0
    a["methods"]["griffinlim"]["metrics"]["band_retention_high"]["mean"] = 95.0
    row = next(r for r in compare(a, b) if r["metric"] == "band_retention_high")
    assert row["regression"]


def test_lost_ok_values_and_a_vanished_method_are_regressions(baseline_run, tmp_path):
    def lose(info):
        info["metrics"]["stoi"]["n_ok"] -= 1
        info["metrics"]["stoi"]["n_error"] += 1

    assert main(["compare", str(baseline_run), write_changed(baseline_run, tmp_path, lose)]) == 1

    def vanish(info):
        info.clear()
        info.update(status="skipped", reason="weights missing")

    assert main(["compare", str(baseline_run), write_changed(baseline_run, tmp_path, vanish)]) == 1


def test_tolerance_scale_zero_fails_any_worsening(baseline_run, tmp_path):
    def nudge(info):
        info["metrics"]["pesq_wb"]["mean"] -= 0.001

    b = write_changed(baseline_run, tmp_path, nudge)
    assert main(["compare", str(baseline_run), b]) == 0
    assert main(["compare", str(baseline_run), b, "--tolerance-scale", "0"]) == 1


def test_missing_summary_is_a_clear_error(tmp_path, capsys):
    assert main(["compare", str(tmp_path), str(tmp_path)]) == 2
    assert "no summary.json" in capsys.readouterr().err
