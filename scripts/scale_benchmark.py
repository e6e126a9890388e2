"""Measure the runner at scale, side by side in one run (the figures of docs/scale.md).

    python -m scripts.build_corpus /tmp/corpus200 --clips 200
    python -m scripts.build_corpus /tmp/corpus1000 --clips 1000 --seed 1
    git worktree add /tmp/oldrunner 199e35f        # the runner before Dask, for comparison
    python -m scripts.scale_benchmark --corpus /tmp/corpus200 --large /tmp/corpus1000 \\
        --old /tmp/oldrunner -o scale.json

Measures, each in a fresh process:
- the cost of starting each engine (ready, first task with the model and metric imports, close);
- throughput on the corpus (`griffinlim`, every metric, no audio or figures): the old runner with
  2 metric processes, the LocalCluster with 1 and 2 workers, the in-process engine: audio seconds
  scored per wall-clock second, the process start included;
- the driver's peak RSS on the first 100 clips and on 1000 clips (a cheap configuration:
  `griffinlim:n_iter=1`, one metric), new and old runner.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
"""The repository root."""

START_SNIPPET = """
import json, time
t0 = time.perf_counter()
from evals.running.config import MethodKey
from evals.running.engine import open_client
from evals.running.worker import probe_task
with open_client({engine!r}, 2) as client:
    t1 = time.perf_counter()
    client.submit(sum, [1, 2]).result()
    t2 = time.perf_counter()
    client.submit(probe_task, MethodKey("griffinlim"), pure=False).result()
    t3 = time.perf_counter()
t4 = time.perf_counter()
print(json.dumps({{"ready_s": t1 - t0, "first_task_s": t2 - t1, "first_model_s": t3 - t2,
                  "close_s": t4 - t3}}))
"""

RSS_SNIPPET = """
import json, resource, sys
sys.argv = ["python -m evals"]
try:
    from evals.runner import run  # the runner before Dask
except ImportError:
    from evals.running.runner import run
try:
    from evals.running.config import RunConfig
except ImportError:  # a checkout from before the run configuration: run took keyword arguments
    RunConfig = None
options = dict(save_audio=False, progress=False, metrics=["snr_raw"], jobs=2, **{extra})
if RunConfig is None:
    run({inputs!r}, ["griffinlim:n_iter=1"], {out!r}, **options)
else:
    run(RunConfig(outdir={out!r}, inputs={inputs!r}, methods=["griffinlim:n_iter=1"], **options))
print(json.dumps({{"peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def audio_seconds(folder: Path, limit: int | None = None) -> float:
    files = sorted(folder.glob("*.flac"))[:limit]
    return sum(sf.info(str(f)).duration for f in files)


def python(code: str, cwd: Path) -> dict:
    """Runs `code` as a script file in a fresh process (a file, so spawned worker processes can
    re-import its __main__) and returns the JSON its last line prints."""
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "measure.py"
        script.write_text(
            "if __name__ == '__main__':\n" + "".join(f"    {line}\n" for line in code.splitlines())
        )
        done = subprocess.run([sys.executable, str(script)], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"measurement failed in {cwd}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def timed_cli(args: list[str], cwd: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "evals", *args],
        cwd=cwd,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def subset(folder: Path, n: int, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    for f in sorted(folder.glob("*.flac"))[:n]:
        (into / f.name).symlink_to(f.resolve())
    return into


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--large", type=Path, required=True, help="a corpus of at least 1000 clips")
    parser.add_argument("--old", type=Path, required=True, help="a checkout of the runner before Dask")
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument(
        "--parts",
        default="start,throughput,rss",
        help="comma-separated subset; the others are kept from an existing OUTPUT",
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    result: dict = json.loads(args.output.read_text()) if args.output.exists() else {}
    result.update(
        {
            "machine": {"cpu_count": os.cpu_count()},
            "corpus": {
                "clips": len(list(args.corpus.glob("*.flac"))),
                "audio_seconds": audio_seconds(args.corpus),
            },
        }
    )
    if "start" in parts:
        result["engine_start"] = {
            e: python(START_SNIPPET.format(engine=e), ROOT) for e in ("in-process", "local")
        }
        print(json.dumps(result["engine_start"], indent=1), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        common = ["-m", "griffinlim", "--no-audio", "--no-report", "--no-progress"]
        runs = {
            "old runner (2 metric processes)": (args.old, ["--jobs", "2"]),
            "Dask LocalCluster, 1 worker": (ROOT, ["--engine", "local", "--jobs", "1"]),
            "Dask LocalCluster, 2 workers": (ROOT, ["--engine", "local", "--jobs", "2"]),
        }
        for i, (name, (cwd, extra)) in enumerate(runs.items() if "throughput" in parts else ()):
            result.setdefault("throughput", {})
            wall = timed_cli(["run", str(args.corpus), *common, "-o", f"{tmp}/t{i}", *extra], cwd)
            result["throughput"][name] = {
                "wall_s": wall,
                "audio_s_per_s": result["corpus"]["audio_seconds"] / wall,
            }
            print(name, result["throughput"][name], flush=True)
        for n in (100, 1000) if "rss" in parts else ():
            result.setdefault("driver_rss", {})
            inputs = [str(subset(args.large, n, Path(tmp) / f"in{n}"))]
            for name, cwd, extra in (
                ("new (in-process, 2 threads)", ROOT, {"engine": "in-process"}),
                ("new (LocalCluster, 2 workers)", ROOT, {"engine": "local"}),
                ("old runner", args.old, {}),
            ):
                out = f"{tmp}/rss-{n}-{len(result['driver_rss'])}"
                got = python(RSS_SNIPPET.format(inputs=inputs, out=out, extra=extra), cwd)
                result["driver_rss"][f"{name}, {n} clips"] = {
                    **got,
                    "clips": n,
                    "audio_seconds": audio_seconds(Path(inputs[0])),
                }
                print(name, n, got, flush=True)
    args.output.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
