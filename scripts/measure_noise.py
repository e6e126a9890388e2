"""Measures each golden method's reproducibility noise and writes golden/noise.json.

Griffin-Lim amplifies float rounding, and a vocoder's PESQ near its floor turns a rounding
difference into a different score; rounding differs between CPUs, thread counts and kernel
choices. So the golden set is run once per perturbation below, each in a fresh process: other
thread counts, and other kernels as another CPU would pick them: oneDNN capped at SSE4.1 or AVX2,
ATen's vectorised kernels off, and each of MKL's code branches (COMPATIBLE, SSE4_2, AVX2, AVX512,
AVX512_E1). MKL's branch moves values most (its FFTs): an Intel CPU with AVX-512 takes its AVX-512
branch, and on a non-Intel CPU MKL runs only its generic path unless it is told the CPU is Intel
(scripts/kernel_paths.py does that, and says for each branch whether and how it ran). The spread of
every value across the runs (max - min), per clip and per clip-class mean, is what
`tests/golden_values.py` sets each tolerance from.

    python -m scripts.measure_noise                    # the default-suite methods
    python -m scripts.measure_noise --grid             # the slow 64/256-iteration grid
    python -m scripts.measure_noise --reference-only   # only the reference-model methods

(How long each takes on this project's machine: docs/measurements/timings.md.)

It rewrites the entries of the methods it ran in golden/noise.json, keeps the others, records which
perturbations ran on which CPU (a branch this CPU cannot run is listed as not run, with the reason),
and prints the largest spreads.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from evals.gating.gates import class_means
from evals.gating.golden_set import (
    GOLDEN_GRID,
    GOLDEN_PATHS,
    GOLDEN_REFERENCE_PATHS,
    NOISE_FILE,
    REFERENCE_DIR,
    clip_classes,
    golden_clips,
)
from evals.metrics import cheap_metrics
from evals.records import read_records
from scripts.kernel_paths import cpu_description, mkl_branch_in_effect, resolve

ROOT = Path(__file__).resolve().parent.parent
"""The repository root: each run's working directory."""

SSE41 = {"ONEDNN_MAX_CPU_ISA": "SSE41", "ATEN_CPU_CAPABILITY": "default"}
PERTURBATIONS = {
    "as-is": {},
    "1-thread": {"OMP_NUM_THREADS": "1"},
    "2-threads": {"OMP_NUM_THREADS": "2"},
    "sse41-default": SSE41,
    "avx2-default": {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "default"},
    "sse41-default-1-thread": {**SSE41, "OMP_NUM_THREADS": "1"},
    "mkl-compatible": {"MKL_CBWR": "COMPATIBLE"},
    "mkl-compatible-sse41-1-thread": {"MKL_CBWR": "COMPATIBLE", **SSE41, "OMP_NUM_THREADS": "1"},
    "mkl-sse4_2": {"MKL_CBWR": "SSE4_2"},
    "mkl-avx2": {"MKL_CBWR": "AVX2"},
    "mkl-avx512": {"MKL_CBWR": "AVX512"},
    "mkl-avx512_e1": {"MKL_CBWR": "AVX512_E1"},
    "mkl-avx512-1-thread": {"MKL_CBWR": "AVX512", "OMP_NUM_THREADS": "1"},
}
"""Environment overrides per run; "as-is" is the machine's own choice."""


def run_once(methods: list[str], weights: str | None, env: dict, out: Path) -> list[dict]:
    """The golden set through `methods` in a fresh process with `env`; returns the records."""
    clips = [str(e["path"]) for e in golden_clips().values()]
    cmd = [
        sys.executable,
        "-m",
        "evals",
        "run",
        *clips,
        "-o",
        str(out),
        "--no-audio",
        "--no-report",
        "--no-progress",
        "--jobs",
        "2",
    ] + [a for m in methods for a in ("-m", m)]
    cmd += [a for name in cheap_metrics() for a in ("--metric", name)]
    if weights:
        cmd += ["--weights", weights]
    subprocess.run(cmd, cwd=ROOT, env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL)
    return read_records(out)


def spreads(runs: dict[str, list[dict]], method: str) -> dict:
    """max - min over the runs of each value, per clip and per class mean (the largest per metric)."""
    per_clip: dict[str, float] = {}
    per_class: dict[str, float] = {}
    values: dict[tuple[str, str], list[float]] = {}
    for rows in runs.values():
        for row in rows:
            if row["method"] != method:
                continue
            for name, result in row["metrics"].items():
                if result["status"] == "ok":
                    values.setdefault((row["clip"], name), []).append(result["value"])
    for (_, name), vals in values.items():
        per_clip[name] = max(per_clip.get(name, 0.0), max(vals) - min(vals))
    classes = clip_classes()
    means = [class_means([r for r in rows if r["method"] == method], classes) for rows in runs.values()]
    for key in means[0]:
        _, cls, name = key
        vals = [m[key][0] for m in means if m.get(key, (None, 0))[0] is not None]
        if vals and cls != "*":
            per_class[name] = max(per_class.get(name, 0.0), max(vals) - min(vals))
    return {"per_clip": dict(sorted(per_clip.items())), "per_class": dict(sorted(per_class.items()))}


def ran_perturbations() -> tuple[dict[str, dict], dict[str, dict]]:
    """(label -> env to run with, label -> what noise.json records of it: env, ran, how, MKL branch)."""
    envs, record = {}, {}
    for label, env in PERTURBATIONS.items():
        setting = resolve(env)
        record[label] = {"env": env, "ran": setting.runnable, "how": setting.note}
        if setting.runnable:
            envs[label] = setting.env
            record[label]["mkl_branch"] = mkl_branch_in_effect(setting.env)
    return envs, record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", action="store_true", help="the slow 64/256-iteration grid instead")
    parser.add_argument(
        "--reference-only",
        action="store_true",
        help="only the methods run with the reference models (after retraining them)",
    )
    args = parser.parse_args()
    groups = (
        [(GOLDEN_GRID, None)]
        if args.grid
        else [(GOLDEN_PATHS, None), (GOLDEN_REFERENCE_PATHS, str(REFERENCE_DIR))]
    )
    if args.reference_only:
        groups = [(GOLDEN_REFERENCE_PATHS, str(REFERENCE_DIR))]
    data = json.loads(NOISE_FILE.read_text()) if NOISE_FILE.is_file() else {"methods": {}}
    envs, record = ran_perturbations()
    for label, info in record.items():
        print(f"{label}: {'runs' if info['ran'] else 'NOT RUN'}, {info['how']}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        for methods, weights in groups:
            runs = {}
            for label, env in envs.items():
                print(f"{label}: {', '.join(methods)}", file=sys.stderr)
                runs[label] = run_once(
                    methods,
                    weights,
                    env,
                    Path(tmp) / f"{label}-{len(data['methods'])}-{methods[0].replace('+', '_')}",
                )
            for method in methods:
                data["methods"][method] = spreads(runs, method)
    measured = {
        method: {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()} {cpu_description()}",
            "perturbations": sorted(envs),
        }
        for methods, _ in groups
        for method in methods
    }
    old_measured = data.get("measured", {})
    data.update(
        about="Reproducibility noise of each golden method: the largest max - min, over the runs "
        "of `perturbations` that ran (`measured`: when, on which CPU, which ran), of each "
        "metric per clip and per clip-class mean. scripts/measure_noise.py writes it; "
        "tests/golden_values.py sets each golden tolerance from it.",
        perturbations=record,
        measured=dict(sorted({**(old_measured if "when" not in old_measured else {}), **measured}.items())),
    )
    data["methods"] = dict(sorted(data["methods"].items()))
    tmp_file = NOISE_FILE.with_name(f".{NOISE_FILE.name}.part")
    tmp_file.write_text(json.dumps(data, indent=1) + "\n")
    tmp_file.replace(NOISE_FILE)
    for method, spread in data["methods"].items():
        worst = sorted(spread["per_clip"].items(), key=lambda kv: -kv[1])[:3]
        print(f"{method:32s} per clip: " + ", ".join(f"{k} {v:.3g}" for k, v in worst))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
