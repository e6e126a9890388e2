"""`python -m evals run`: every input through every method, scored, as a pipeline of Dask tasks.

Stages (each its own module): read (`inputs`), reconstruct and score (`worker`, on Dask workers),
record (`records`, the driver appends to clips.jsonl as results arrive: `driver`), report
(`summarize`). Every stage reads the one `RunConfig` (`config`).

The driver holds the clip list (paths only) and a bounded window of tasks in flight; audio moves
between workers, never through the driver. See `evals.run_folder` for what a run folder holds and
`evals.running.engine` for the clusters.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from evals.records import keep_ok_records
from evals.run_folder import RUN_FILE, attempts_dir, check_outdir, clear_outputs, clips_file, hold, run_file
from evals.running.config import RunConfig
from evals.running.driver import drive
from evals.running.engine import choose_engine, gpu_resources, open_client
from evals.running.inputs import ClipRef, RunError, check_metric_names, input_clips
from evals.running.jobs import ClipJob
from evals.running.run_info import RunInfo, read_run, write_run
from evals.running.summarize import summarize


@contextmanager
def prepare_outdir(config: RunConfig, *, resumable: bool = True) -> Iterator[None]:
    """Holds `config.outdir` for the block (`run_folder.hold`: a second run is refused), after checking
    it (`run_folder.check_outdir`: never an input among the outputs; an existing run's outputs only
    with --force, which removes them first, or --resume, which keeps them). `resumable`: the command
    has --resume (its refusal mentions it)."""
    outdir = config.outdir

    def check() -> None:
        check_outdir(outdir, config.inputs, force=config.force, resume=config.resume, resumable=resumable)
        if config.resume and not run_file(outdir).exists():
            raise RunError(f"--resume: {outdir} has no {RUN_FILE} to resume (start the run without --resume)")

    check()  # before the folder is created
    with hold(outdir):
        check()  # again, now that no other run can write it
        if config.force and not config.resume:
            clear_outputs(outdir)
        yield


def run(config: RunConfig) -> dict:
    """Runs the evaluation into `config.outdir` and returns the summary dict.

    `config.resume` skips every (clip, method, weights) already recorded as ok in the folder;
    `config.plugins` are imported here and on every worker before methods are looked up.
    """
    from evals.methods import parse_method

    for module in config.plugins:
        __import__(module)
    for spec in config.methods:
        try:
            parse_method(spec)
        except ValueError as err:
            raise RunError(str(err)) from err
    config = replace(config, metrics=check_metric_names(config.metrics))
    clips = input_clips(list(config.inputs))
    with prepare_outdir(config):
        if config.resume:
            _check_resumable(read_run(config.outdir).metrics, config)
            check_same_run(read_run(config.outdir), config)
        done = keep_ok_records(clips_file(config.outdir)) if config.resume else {}
        device = _device(config.device)
        chosen = choose_engine(
            len(clips) * len(config.methods), config.scheduler, config.scheduler_file, config.engine
        )
        with open_client(
            chosen, config.jobs, config.scheduler, config.scheduler_file, gpu=device.startswith("cuda")
        ) as client:
            gpu = gpu_resources(client)
            config = replace(
                config, device="cuda" if gpu else ("cpu" if device.startswith("cuda") else device)
            )
            infos = _probe(client, config)
            write_run(config.outdir, RunInfo.create(config, clips, chosen, infos))
            todo = [
                ClipJob(c, m, infos[m].get("weights_sha256"), infos[m]["delay"]["samples"])
                for c in clips
                for m in config.methods
                if infos[m]["status"] == "ran" and not _done(done, c, m, infos[m])
            ]
            drive(client, config, _chunks(todo, config.batch), _submitter(client, config, gpu), len(todo))
        return summarize(config.outdir)


def _device(device: str) -> str:
    """ "auto" resolved by the codec's own rule (`codec.pipeline.resolve_device`); anything else as given."""
    from codec.pipeline import resolve_device

    return str(resolve_device("auto")) if device == "auto" else device


def _check_resumable(recorded: tuple[str, ...] | None, config: RunConfig) -> None:
    """A resumed run must compute what the first one computed (same metrics), or the records would mix."""
    if recorded != config.metrics:
        raise RunError(
            f"--resume: this run computes metrics {list(config.metrics or ()) or 'all'}, the recorded "
            f"one {list(recorded or ()) or 'all'}; use the same --metric options or a new -o"
        )


def check_same_run(recorded: RunInfo, config: RunConfig) -> None:
    """`--resume` finishes the run in run.json: the same inputs and methods, or a one-line refusal."""
    for what, theirs, ours in (
        ("inputs", recorded.inputs, config.inputs),
        ("methods", recorded.methods, config.methods),
    ):
        if tuple(theirs) != tuple(ours):
            raise RunError(
                f"--resume: this run's {what} {list(ours)} differ from the recorded run's {list(theirs)} "
                f"({RUN_FILE}); --resume only finishes that run: use --force for a new run in this "
                "folder, or -o for another folder"
            )


def _done(done: dict, clip: ClipRef, method: str, info: dict) -> bool:
    """Whether `done` (the kept ok records by key) holds this clip and method, with these weights."""
    record = done.get((method, clip.id))
    return (
        record is not None
        and record.get("path") == clip.path
        and (record.get("weights_sha256") or "") == (info.get("weights_sha256") or "")
    )


def _probe(client, config: RunConfig) -> dict:
    """Each method's info from a worker: status or skip reason, load time, weights sha256, delay."""
    from evals.running.worker import probe_task

    futures = {m: client.submit(probe_task, config.method_key(m), pure=False) for m in config.methods}
    return {m: f.result() for m, f in futures.items()}


def _submitter(client, config: RunConfig, gpu: dict | None):
    """The driver's `submit` for `run`: a chunk of clips is read once, reconstructed once per method
    (a batch per task, on a GPU worker when there is one) and scored per (clip, method)."""
    from evals.running.worker import read_task, reconstruct_task, score_task

    attempts = attempts_dir(config.outdir)  # start counts per task (`worker.death_count`)

    def submit(chunk: list[tuple[ClipRef, list[ClipJob]]]) -> list:
        refs = {clip: client.submit(read_task, clip, config, pure=False) for clip, _ in chunk}
        futures = []
        for spec in dict.fromkeys(job.method for _, jobs in chunk for job in jobs):
            mine = [job for _, jobs in chunk for job in jobs if job.method == spec]
            recon = client.submit(
                reconstruct_task,
                config.method_key(spec),
                [refs[j.clip] for j in mine],
                attempts,
                pure=False,
                resources=gpu,
            )
            for index, job in enumerate(mine):
                score = client.submit(score_task, recon, index, refs[job.clip], job, config, pure=False)
                futures.append((score, job))
        return futures

    return submit


def _chunks(todo: list[ClipJob], batch: int) -> list[list[tuple[ClipRef, list[ClipJob]]]]:
    """Chunks of at most `batch` clips, in clip order, each clip with the jobs it still needs."""
    by_clip: dict[ClipRef, list[ClipJob]] = {}
    for job in todo:
        by_clip.setdefault(job.clip, []).append(job)
    items = list(by_clip.items())
    step = max(1, batch)
    return [items[i : i + step] for i in range(0, len(items), step)]
