"""`python -m evals run`: every input through every method, scored, as a pipeline of Dask tasks.

Stages (each its own module): read (`inputs`), reconstruct and score (`worker`, on Dask workers),
record (`records`, the driver appends to clips.jsonl as results arrive), report (`summarize`).

The driver holds the clip list (paths only) and a bounded window of tasks in flight; audio moves
between workers, never through the driver. See `evals.run_folder` for what a run folder holds and
`evals.running.engine` for the clusters.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections import deque
from pathlib import Path

from evals.run_folder import RUN_FILES, write_atomic
from evals.running.engine import choose_engine, gpu_resources, open_client, worker_count
from evals.running.inputs import RunError, check_metric_names, clip_refs, collect_inputs
from evals.running.records import RecordLog, prepare_resume
from evals.running.summarize import RUN_JSON, read_run, summarize

WINDOW_PER_WORKER = 4
"""Clips in flight per worker: enough to keep every worker busy, small enough to keep memory flat."""


def prepare_outdir(outdir: Path, force: bool, resume: bool) -> None:
    """Refuses to overwrite a run without --force; --force removes the old records, --resume keeps them."""
    holds_run = outdir.exists() and any((outdir / name).exists() for name in (*RUN_FILES, RUN_JSON))
    if holds_run and not (force or resume):
        raise RunError(f"{outdir} already holds a run; pass --resume to finish it, --force to overwrite it, "
                       "or pick another -o")
    if resume and not (outdir / RUN_JSON).exists():
        raise RunError(f"--resume: {outdir} has no {RUN_JSON} to resume (start the run without --resume)")
    outdir.mkdir(parents=True, exist_ok=True)
    if force and not resume:
        for name in ("clips.jsonl", RUN_JSON):
            (outdir / name).unlink(missing_ok=True)


def run(inputs: list[str], methods: list[str], outdir: str | Path, *, weights: str | None = None,
        device: str = "cpu", save_audio: bool = True, force: bool = False, jobs: int | None = None,
        progress: bool = True, argv: list[str] | None = None, report: bool = False,
        metrics: list[str] | None = None, resume: bool = False, engine: str | None = None,
        scheduler: str | None = None, scheduler_file: str | None = None, plugins: list[str] | None = None,
        batch: int = 1) -> dict:
    """Runs the evaluation into `outdir` and returns the summary dict.

    Args:
        inputs: audio files or folders. methods: specs `NAME[:key=value,...]`.
        jobs: workers of a local engine (default: every core).
        engine: "in-process" (one thread), "local" (a LocalCluster) or None (by the run's size); `scheduler` /
            `scheduler_file` run on an existing cluster instead.
        resume: skip every (clip, method, weights) already recorded as ok in `outdir`.
        plugins: modules imported on every worker before methods are looked up (they may register
            methods: `evals.methods.register`).
        batch: clips per reconstruction task (one model load per worker either way).
        report: figures per clip and report.html.
    """
    from evals.methods import parse_method

    plugins = tuple(plugins or ())
    for module in plugins:
        __import__(module)
    for spec in methods:
        try:
            parse_method(spec)
        except ValueError as err:
            raise RunError(str(err)) from err
    names = check_metric_names(metrics)
    outdir = Path(outdir)
    clips = clip_refs(collect_inputs(inputs))
    prepare_outdir(outdir, force, resume)
    done = prepare_resume(outdir / "clips.jsonl") if resume else set()
    if resume:
        _check_resumable(read_run(outdir), methods, names, weights)
    device = _device(device)
    chosen = choose_engine(len(clips) * len(methods), scheduler, scheduler_file, engine)
    with open_client(chosen, jobs, scheduler, scheduler_file, gpu=device.startswith("cuda")) as client:
        gpu = gpu_resources(client)
        task_device = "cuda" if gpu else ("cpu" if device.startswith("cuda") else device)
        infos = _probe(client, methods, weights, task_device, plugins)
        run_info = {"schema": 2, "inputs": list(inputs), "methods": list(methods), "weights": weights,
                    "metrics": list(names) if names else None, "device": task_device, "engine": chosen,
                    "report": report, "save_audio": save_audio, "command": argv or sys.argv,
                    "clips": [{"id": c.id, "path": c.path} for c in clips], "infos": infos}
        write_atomic(outdir / RUN_JSON, json.dumps(run_info, indent=1) + "\n")
        todo = [(c, m) for c in clips for m in methods if infos[m]["status"] == "ran"
                and (c.path, m, infos[m].get("weights_sha256") or "") not in done]
        with RecordLog(outdir / "clips.jsonl") as log:
            _stream(client, todo, infos, log, weights=weights, device=task_device, plugins=plugins,
                    names=names, outdir=outdir, save_audio=save_audio, report=report, gpu=gpu,
                    window=WINDOW_PER_WORKER * max(1, worker_count(client)), batch=batch,
                    progress=progress)
    return summarize(outdir)


def _device(device: str) -> str:
    """"auto" resolved by the codec's own rule (`codec.pipeline.resolve_device`); anything else as given."""
    from codec.pipeline import resolve_device

    return str(resolve_device("auto")) if device == "auto" else device


def _check_resumable(old: dict, methods: list[str], names, weights) -> None:
    """A resumed run must compute what the first one computed (same metrics), or the records would mix."""
    if (old.get("metrics") or None) != (list(names) if names else None):
        raise RunError(f"--resume: this run computes metrics {list(names) if names else 'all'}, the recorded "
                       f"one {old.get('metrics') or 'all'}; use the same --metric options or a new -o")


def _probe(client, methods: list[str], weights, device: str, plugins) -> dict:
    """Each method's info from a worker: status or skip reason, load time, weights sha256, delay."""
    from evals.running.worker import probe_task

    futures = {m: client.submit(probe_task, m, weights, device, plugins, pure=False) for m in methods}
    return {m: f.result() for m, f in futures.items()}


def _stream(client, todo: list, infos: dict, log: RecordLog, *, weights, device, plugins, names, outdir: Path,
            save_audio: bool, report: bool, gpu, window: int, batch: int, progress: bool) -> None:
    """Submits clips in a bounded window and appends each record as its score task completes."""
    from distributed import as_completed

    from evals.running.worker import read_task, reconstruct_task, score_task

    bar = progress_bar(len(todo), progress)
    attempts = str(outdir / ".attempts")  # start counts per task (`worker.starts`), removed at the end
    pending = deque(_chunks(todo, batch))
    flying = as_completed()
    meta: dict = {}

    def submit_next() -> None:
        chunk = pending.popleft()  # [(clip, [method, ...])], at most `batch` clips
        refs = {clip: client.submit(read_task, clip.path, clip.id, str(outdir) if save_audio else None, pure=False)
                for clip, _ in chunk}
        for spec in dict.fromkeys(m for _, specs in chunk for m in specs):
            mine = [clip for clip, specs in chunk if spec in specs]
            recon = client.submit(reconstruct_task, spec, weights, device, plugins, [refs[c] for c in mine],
                                  attempts, pure=False, resources=gpu)
            info = infos[spec]
            for index, clip in enumerate(mine):
                base = {"clip": clip.id, "path": clip.path, "method": spec,
                        "weights_sha256": info.get("weights_sha256")}
                score = client.submit(score_task, recon, index, refs[clip], base, info["delay"]["samples"], names,
                                      str(outdir), save_audio, report, attempts, pure=False)
                meta[score.key] = base
                flying.add(score)

    while pending and flying.count() < window:
        submit_next()
    for future in flying:
        base = meta.pop(future.key)
        try:
            record = future.result()
        except Exception as err:  # noqa: BLE001 - KilledWorker after repeated deaths, or a task error
            record = _task_failed(base, err, names)
        log.append(record)
        bar.update()
        future.release()
        while pending and flying.count() < window:
            submit_next()
    bar.close()
    shutil.rmtree(attempts, ignore_errors=True)


def _chunks(todo: list, batch: int) -> list:
    """Chunks of at most `batch` clips, in clip order, each clip with the methods it still needs."""
    by_clip: dict = {}
    for clip, method in todo:
        by_clip.setdefault(clip, []).append(method)
    items = list(by_clip.items())
    return [items[i:i + max(1, batch)] for i in range(0, len(items), max(1, batch))]


def _task_failed(base: dict, err: Exception, names) -> dict:
    """An error record for a task Dask gave up on (a worker died `ALLOWED_FAILURES + 1` times, ...)."""
    from distributed import KilledWorker

    from evals.running.engine import ALLOWED_FAILURES
    from evals.running.worker import failed_record

    if isinstance(err, KilledWorker):
        reason = (f"the scheduler gave the task up after {ALLOWED_FAILURES + 1} worker deaths ({err}); "
                  "the run went on")
    else:
        reason = f"task failed: {type(err).__name__}: {err}"
    return failed_record(base, reason, names)


def progress_bar(total: int, enabled: bool):
    """A tqdm bar on stderr (hidden when not `enabled` or not on a terminal)."""
    from tqdm import tqdm

    return tqdm(total=total, desc="evaluating", unit="record", disable=not enabled or None,
                file=sys.stderr, leave=False)

