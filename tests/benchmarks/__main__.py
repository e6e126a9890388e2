"""Run the benchmark suite, save it to history, compare with this machine's previous run.

    python -m tests.benchmarks [--fail-over 25] [--first] [-- PYTEST_ARGS...]
    tox -e bench

History lives in `tests/benchmarks/history/<hardware key>/` (pytest-benchmark's JSON, one file
per run). The new run is compared with the newest earlier run of the same hardware key, and the
command fails (exit 1) when any benchmark's median is more than `--fail-over` percent slower.
With no earlier run it saves the first one and passes. GPU cases run when CUDA is present.
Prints the headline figures (real-time factor, GFLOP/s, fraction of the measured ceiling, the
codec's round trip against the plain library calls) after the run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from evals.reports.numbers import readable, signed
from evals.reports.table import Table, bold, text
from tests.benchmarks.machine import hardware_key

HERE = Path(__file__).resolve().parent
HISTORY = HERE / "history"


def saved_runs(folder: Path) -> list[Path]:
    """Saved runs in `folder` (any depth), oldest first (pytest-benchmark numbers them)."""
    return sorted(folder.rglob("*.json"), key=lambda p: (p.name.split("_")[0], p.name))


def pytest_command(storage: Path, extra: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        "-m",
        "benchmark",
        str(HERE),
        f"--benchmark-storage=file://{storage}",
        "--benchmark-autosave",
        "--benchmark-columns=min,median,max,rounds",
        *extra,
    ]


def compare(previous: Path, current: Path, fail_over: float) -> tuple[str, list[str]]:
    """Markdown table of median changes per benchmark, and the names slower than `fail_over` %."""
    old = {b["fullname"]: b["stats"]["median"] for b in json.loads(previous.read_text())["benchmarks"]}
    new = {b["fullname"]: b["stats"]["median"] for b in json.loads(current.read_text())["benchmarks"]}
    rows, slower = [], []
    for name in sorted(set(old) | set(new)):
        if name not in old or name not in new:
            rows.append(
                [name, readable(old.get(name)), readable(new.get(name)), "new" if name in new else "not run"]
            )
            continue
        change = 100 * (new[name] / old[name] - 1)
        flag = change > fail_over
        slower += [name] if flag else []
        rows.append(
            [
                name,
                readable(old[name]),
                readable(new[name]),
                text(signed(change, "%"), *([" ", bold("slower")] if flag else [])),
            ]
        )
    table = Table(("benchmark", "previous median s", "median s", "change"), rows)
    return table.markdown().rstrip("\n"), slower


def headline(run: Path) -> str:
    """Markdown table of the figures each benchmark recorded, and the codec/plain speed-up."""
    data = json.loads(run.read_text())
    rows = []
    for bench in data["benchmarks"]:
        info = bench.get("extra_info", {})
        ceiling = info.get("fraction_of_ceiling")
        rows.append(
            [
                bench["name"],
                readable(bench["stats"]["median"]),
                readable(info.get("x_real_time")),
                readable(info.get("gflop_per_s")),
                readable(None if ceiling is None else 100 * ceiling, "%"),
            ]
        )
    table = Table(("benchmark", "median s", "x real time", "GFLOP/s", "of ceiling"), rows)
    lines = [table.markdown().rstrip("\n")]
    for bench in data["benchmarks"]:
        info = bench.get("extra_info", {})
        if "speedup" in info:
            lines.append(
                f"CPU round trip, batch 1, alternated call by call: codec "
                f"{readable(info['codec_median_s'])} s vs plain diffusers + transformers "
                f"{readable(info['plain_median_s'])} s: {readable(info['speedup'])}x"
            )
    return "\n\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fail-over",
        type=float,
        default=25.0,
        metavar="PCT",
        help="fail when a median is more than PCT %% slower than the previous run (25)",
    )
    parser.add_argument(
        "--history", type=Path, default=HISTORY, help="history root (tests/benchmarks/history)"
    )
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --), e.g. -k vae")
    args = parser.parse_args(argv)
    key = hardware_key()
    storage = args.history / key
    previous = saved_runs(storage) if storage.exists() else []
    print(f"hardware key: {key}")
    print(
        f"history: {storage} ({len(previous)} earlier run(s)"
        + (
            f"; comparing with {previous[-1].name}, failing over +{args.fail_over:g} % median)"
            if previous
            else "; this run becomes the first)"
        ),
        flush=True,
    )
    code = subprocess.call(pytest_command(storage, args.pytest_args))
    runs = saved_runs(storage) if storage.exists() else []
    if not runs or runs[-1] in previous:
        print("no run was saved (see pytest's output above)")
        return code or 1
    print(f"\nsaved {runs[-1]}\n\n{headline(runs[-1])}")
    if previous:
        table, slower = compare(previous[-1], runs[-1], args.fail_over)
        print(f"\ncompared with {previous[-1].name}:\n\n{table}")
        if slower:
            print(
                f"\nFAILED: {len(slower)} benchmark(s) more than {args.fail_over:g} % slower (median) "
                f"than the "
                f"previous run of this machine: {', '.join(slower)}"
            )
            return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
