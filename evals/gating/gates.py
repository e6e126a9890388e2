"""Quality gates: per method and clip class, a bound for each headline metric.

`golden/gates.json` holds them: `{"method", "class", "metric", "bound", "kind": "floor"|"ceiling",
"model", "source"}`; "model" is "audioldm2" (the real weights), "reference" (the embedded reference
VAE) or absent (methods that use no weights). A gate compares the mean of the metric's ok values
over the clips of that class
("*" = all clips); it fails when the mean is past the bound or when no clip gave an ok value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.gating.golden_set import GOLDEN_DIR

GATES_FILE = GOLDEN_DIR / "gates.json"


@dataclass(frozen=True)
class GateResult:
    method: str
    clip_class: str
    metric: str
    kind: str
    bound: float
    value: float | None
    n_ok: int
    passed: bool
    source: str

    @property
    def shortfall(self) -> float | None:
        """How far past the bound (positive = failing), in the metric's unit."""
        if self.value is None:
            return None
        return self.bound - self.value if self.kind == "floor" else self.value - self.bound


def load_gates(path: Path = GATES_FILE) -> list[dict]:
    return json.loads(path.read_text())["gates"] if path.is_file() else []


def class_means(
    rows: list[dict], classes: dict[str, str]
) -> dict[tuple[str, str, str], tuple[float | None, int]]:
    """(method, class or "*", metric) -> (mean of ok values or None, n_ok)."""
    values: dict[tuple[str, str, str], list[float]] = {}
    for row in rows:
        for cls in (classes.get(row["clip"]), "*"):
            if cls is None:
                continue
            for name, result in row["metrics"].items():
                bucket = values.setdefault((row["method"], cls, name), [])
                if result["status"] == "ok":
                    bucket.append(result["value"])
    return {key: ((float(np.mean(v)) if v else None), len(v)) for key, v in values.items()}


def check_gates(
    rows: list[dict],
    classes: dict[str, str],
    gates: list[dict],
    methods_ran: set[str],
    model: str | None = None,
) -> list[GateResult]:
    """Every gate of a method that ran on all the golden clips of the gate's class.

    Bounds are class means over the whole golden set, so a run on part of a class (e.g.
    `scorecard --clip ...`) does not check that class's gates; gates of methods that did not run
    are not checked either. `model` ("audioldm2" or "reference") picks the gates of the weights
    the run used; gates without a model apply to every run.
    """
    means = class_means(rows, classes)
    clips_run = {(r["method"], r["clip"]) for r in rows}
    results = []
    for gate in gates:
        if gate.get("model") not in (None, model):
            continue
        members = [c for c, cls in classes.items() if gate["class"] in (cls, "*")]
        if gate["method"] not in methods_ran or not all((gate["method"], c) in clips_run for c in members):
            continue
        value, n_ok = means.get((gate["method"], gate["class"], gate["metric"]), (None, 0))
        if value is None:
            passed = False
        elif gate["kind"] == "floor":
            passed = value >= gate["bound"]
        else:
            passed = value <= gate["bound"]
        results.append(
            GateResult(
                gate["method"],
                gate["class"],
                gate["metric"],
                gate["kind"],
                gate["bound"],
                value,
                n_ok,
                passed,
                gate.get("source", ""),
            )
        )
    return results
