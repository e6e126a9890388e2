"""Golden metric values per method and clip: stored with provenance, compared with named
tolerances, rewritten only with `pytest --update-golden`; a missing golden file is a failure."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path

from evals.registry import all_metrics

VALUES_DIR = Path(__file__).resolve().parent.parent / "golden" / "values"
TOLERANCE_FRACTION = 0.1
"""A golden value may move by this fraction of the metric's `compare` tolerance (registry):
e.g. PESQ 0.005, STOI 0.001, log-mel L1 0.002, SNR 0.05 dB. The pipelines are seeded, so only
float round-off across machines and library versions is expected to move them."""


def golden_path(method: str, tag: str = "") -> Path:
    """golden/values/METHOD[@TAG].json; the tag names the weights (e.g. "reference")."""
    name = "".join(c if c.isalnum() or c in "+-._" else "_" for c in method) + (f"@{tag}" if tag else "")
    return VALUES_DIR / f"{name}.json"


def values_of(rows: list[dict], method: str) -> dict:
    return {r["clip"]: {name: {"value": m["value"], "status": m["status"]} for name, m in r["metrics"].items()}
            for r in rows if r["method"] == method}


def write_golden(method: str, rows: list[dict], summary: dict, tag: str = "") -> Path:
    info = summary["methods"][method]
    data = {"method": method, "params": info.get("params", {}), "model": info.get("model_id"),
            "weights_sha256": info.get("weights_sha256"),
            "written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "packages": summary["environment"]["packages"], "seed": 0,
            "tolerance": f"{TOLERANCE_FRACTION} x the registry tolerance of each metric",
            "values": values_of(rows, method)}
    path = golden_path(method, tag)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


def golden_differences(method: str, rows: list[dict], tag: str = "") -> list[str]:
    """One line per value that moved past its tolerance or changed status (empty: all match)."""
    path = golden_path(method, tag)
    if not path.is_file():
        return [f"no golden values at {path}: run `pytest --update-golden` once and commit the file"]
    expected = json.loads(path.read_text())["values"]
    actual = values_of(rows, method)
    problems = [f"clip set differs: golden {sorted(expected)} vs run {sorted(actual)}"] if set(expected) != set(actual) else []
    metrics = all_metrics()
    for clip in sorted(set(expected) & set(actual)):
        for name, want in expected[clip].items():
            got = actual[clip].get(name)
            if got is None or got["status"] != want["status"]:
                problems.append(f"{clip} {name}: status {want['status']} -> {got and got['status']}")
                continue
            if want["value"] is None:
                continue
            tol = TOLERANCE_FRACTION * metrics[name].tolerance
            if not math.isclose(got["value"], want["value"], abs_tol=tol):
                problems.append(f"{clip} {name}: {want['value']:.6g} -> {got['value']:.6g} "
                                f"(moved {got['value'] - want['value']:+.3g}, tolerance {tol:g})")
    return problems


def run_and_check_gates(methods: list[str], weights: str, out: Path, device: str = "cpu", model: str | None = None):
    """Runs `methods` on the golden set and checks their gates: (results, failed)."""
    from evals.gates import check_gates, load_gates
    from evals.golden_set import clip_classes, golden_clips
    from evals.runner import run

    run([str(e["path"]) for e in golden_clips().values()], methods, out, weights=weights, device=device,
        save_audio=False, progress=False)
    rows = [json.loads(line) for line in (out / "clips.jsonl").read_text().splitlines()]
    results = check_gates(rows, clip_classes(), load_gates(), set(methods), model=model)
    return results, [r for r in results if not r.passed]
