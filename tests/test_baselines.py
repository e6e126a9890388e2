"""The reports' baselines as data: every figure of docs/report-baselines.md is carried, and every
metric and method it names exists (or is one the golden/scorecard issue adds)."""

import re
from pathlib import Path

import pytest

from evals.gating.baselines import compare_to_baselines, load_baselines
from evals.methods import METHODS
from evals.metrics import all_metrics

REPORT_TABLE = Path(__file__).resolve().parents[1] / "docs" / "report-baselines.md"
FUTURE_METHODS: set[str] = set()
"""Methods a baseline may name before they exist (none now: every report method is implemented)."""
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def table_rows() -> list[list[str]]:
    rows = [
        line.strip().strip("|").split("|")
        for line in REPORT_TABLE.read_text().splitlines()
        if re.match(r"\|\s*\d{3}\s*\|", line)
    ]
    return [[cell.strip() for cell in row] for row in rows]


def test_every_figure_of_the_reports_table_is_carried():
    carried: dict[str, list[str]] = {}
    for b in load_baselines():
        carried.setdefault(b["report"], []).append(b["value_text"])
    for report, pipeline, _, values in table_rows():
        ours = " ".join(carried.get(report, []))
        for number in NUMBER.findall(values.split("(")[0]):
            assert number.lstrip("+") in ours, f"report {report} ({pipeline}): {number} not in baselines.json"


def test_numeric_values_agree_with_their_text():
    for b in load_baselines():
        if b["value"] is not None:
            assert NUMBER.findall(b["value_text"])[0].lstrip("+") in (
                f"{b['value']:g}",
                f"{b['value']}",
                f"{b['value']:.2f}",
                f"{b['value']:.4f}",
                f"{b['value']:.1f}",
            ), b


def test_named_metrics_and_methods_exist():
    metrics = set(all_metrics()) | {"seconds_per_5s"}
    for b in load_baselines():
        assert b["metric"] is None or b["metric"] in metrics, b
        assert b["method"] is None or b["method"] in METHODS or b["method"] in FUTURE_METHODS, b
        assert b["kind"] in {"absolute", "change", "range", "target", "other"}


def test_change_figures_are_differences_to_the_vae_only_run():
    summary = {
        "methods": {
            "vae+griffinlim": {"metrics": {"snr_raw": {"mean": -1.0}}, "timing": {}},
            "vae+griffinlim+laplacian": {"metrics": {"snr_raw": {"mean": -3.5}}, "timing": {}},
        }
    }
    row = next(
        r
        for r in compare_to_baselines(summary)
        if r["method"] == "vae+griffinlim+laplacian" and r["metric"] == "snr_raw"
    )
    assert row["ours"] == pytest.approx(-2.5) and row["difference"] == pytest.approx(-2.5 + 3.01)
