"""`python -m evals compare A.json B.json` (means only): what changed between two summaries.

A metric regresses when B's mean is worse than A's by more than the metric's tolerance (from
the registry, scaled by `--tolerance-scale`), or when B has fewer ok values or more errors.
Retention metrics are judged by their distance to 100 %.
"""

from __future__ import annotations

import json
from pathlib import Path

from evals.metrics import all_metrics
from evals.registry import worse_by
from evals.reports.numbers import readable
from evals.reports.table import Table, fail
from evals.run_folder import SUMMARY_FILE, summary_file


def load_summary(path: str | Path) -> dict:
    """A run folder or its summary.json."""
    path = Path(path)
    file = summary_file(path) if path.is_dir() else path
    if not file.is_file():
        raise FileNotFoundError(f"no {SUMMARY_FILE} at {path}")
    return json.loads(file.read_text())


def compare(a: dict, b: dict, tolerance_scale: float = 1.0) -> list[dict]:
    """One row per (method, metric) present in both runs."""
    registry = all_metrics()
    rows = []
    for method, info_b in b["methods"].items():
        info_a = a["methods"].get(method, {})
        if info_a.get("status") == "ran" and info_b.get("status") != "ran":
            rows.append(
                {
                    "method": method,
                    "metric": "(all)",
                    "a": None,
                    "b": None,
                    "difference": None,
                    "regression": True,
                    "why": f"ran in A, {info_b.get('status')} in B: {info_b.get('reason', '')[:120]}",
                }
            )
        if info_a.get("status") != "ran" or info_b.get("status") != "ran":
            continue
        for name, agg_b in info_b["metrics"].items():
            agg_a = info_a["metrics"].get(name)
            if agg_a is None:
                continue
            tolerance = (registry[name].tolerance if name in registry else 0.0) * tolerance_scale
            row = {
                "method": method,
                "metric": name,
                "a": agg_a["mean"],
                "b": agg_b["mean"],
                "difference": None,
                "regression": False,
                "why": "",
            }
            if agg_a["mean"] is not None and agg_b["mean"] is not None:
                row["difference"] = agg_b["mean"] - agg_a["mean"]
                worse = worse_by(name, agg_a["mean"], agg_b["mean"], agg_b["higher_is_better"])
                if worse > tolerance:
                    row.update(
                        regression=True, why=f"worse by {readable(worse)} > tolerance {readable(tolerance)}"
                    )
            if agg_b["n_ok"] < agg_a["n_ok"] or agg_b["n_error"] > agg_a["n_error"]:
                row.update(
                    regression=True,
                    why=(row["why"] + "; " if row["why"] else "") + f"n_ok {agg_a['n_ok']}->{agg_b['n_ok']}, "
                    f"n_error {agg_a['n_error']}->{agg_b['n_error']}",
                )
            rows.append(row)
    return rows


def compare_table(rows: list[dict]) -> Table:
    """`compare`'s rows: A, B, B - A and the verdict per method and metric."""
    return Table(
        ("method", "metric", "A", "B", "B - A", "verdict"),
        [
            [
                r["method"],
                r["metric"],
                readable(r["a"]),
                readable(r["b"]),
                readable(r["difference"]),
                fail(f"REGRESSION: {r['why']}") if r["regression"] else "ok",
            ]
            for r in rows
        ],
    )


def compare_markdown(rows: list[dict]) -> str:
    return compare_table(rows).markdown()
