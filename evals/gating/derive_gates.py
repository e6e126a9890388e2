"""Deriving gate bounds from a measured run: `python -m evals gates --derive RUN_DIR`.

Rule (per method and clip class, for each gated metric): bound = measured mean minus (floors) or
plus (ceilings) a margin of max(2 x the metric's compare tolerance, 5 % of |mean|). A change that
costs more than that margin fails the gate; re-derive only when a change is meant to move them.
"""

from __future__ import annotations

import json
from pathlib import Path

from evals.gating.gates import GATES_FILE, class_means
from evals.gating.golden_set import clip_classes
from evals.metrics import all_metrics
from evals.records import read_records
from evals.run_folder import summary_file

GATED_METRICS = ("pesq_wb", "stoi", "log_mel_l1", "band_retention_high", "band_lsd_high", "snr_raw")
RELATIVE_MARGIN = 0.05
TOLERANCE_MULTIPLE = 2.0


def derive(run_dir: Path, methods: list[str] | None = None, model: str | None = None) -> list[dict]:
    """Gates for every (method, class, metric) of the run with an ok mean.

    `model` ("audioldm2" or "reference") tags gates of methods that use weights.
    """
    summary = json.loads(summary_file(run_dir).read_text())
    rows = read_records(run_dir)
    ran = [m for m, i in summary["methods"].items() if i["status"] == "ran" and (not methods or m in methods)]
    registry = all_metrics()
    classes = clip_classes()
    means = class_means(rows, classes)
    gates = []
    for method in ran:
        for cls in sorted(set(classes.values())):
            for metric in GATED_METRICS:
                value, n_ok = means.get((method, cls, metric), (None, 0))
                if value is None:
                    continue
                info = registry[metric]
                margin = max(TOLERANCE_MULTIPLE * info.tolerance, RELATIVE_MARGIN * abs(value))
                kind = "floor" if info.higher_is_better else "ceiling"
                bound = value - margin if kind == "floor" else value + margin
                gate = {
                    "method": method,
                    "class": cls,
                    "metric": metric,
                    "kind": kind,
                    "bound": round(bound, 4),
                    "measured": round(value, 4),
                    "source": f"derived from run {summary['created']} (n_ok {n_ok})",
                }
                if summary["methods"][method].get("needs"):
                    gate["model"] = model or "audioldm2"
                gates.append(gate)
    return gates


def write_gates(new: list[dict], path: Path = GATES_FILE) -> int:
    """Replaces the gates of the (method, model) pairs in `new`, keeps every other; returns the total."""
    kept = []
    if path.is_file():
        derived = {(g["method"], g.get("model")) for g in new}
        kept = [
            g for g in json.loads(path.read_text())["gates"] if (g["method"], g.get("model")) not in derived
        ]
    gates = sorted(kept + new, key=lambda g: (g["method"], g["class"], g["metric"]))
    about = (
        "Quality gates: per method and clip class, the mean of each headline metric over that "
        "class's golden clips must stay at or past the bound. Derived gates: see "
        "evals/derive_gates.py (python -m evals gates --derive RUN_DIR). Gates whose source says "
        "'literature' are for the real AudioLDM2 weights and are set by hand; see the README."
    )
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(json.dumps({"about": about, "gates": gates}, indent=1) + "\n")
    tmp.replace(path)
    return len(gates)
