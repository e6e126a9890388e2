"""The driver loop of `run` and `score`: a bounded window of tasks in flight, each record appended to
clips.jsonl as its task completes.

The caller says how one unit of work becomes tasks (`submit`); the loop keeps at most
`WINDOW_PER_WORKER` records per worker in flight, so the driver's memory and the scheduler's queue
stay flat however large the run. A task that raises (a `KilledWorker` after repeated deaths, a bug)
becomes an error record of its clip and method; the run goes on.
"""

from __future__ import annotations

import shutil
import sys
from collections import deque
from collections.abc import Callable, Iterable

from evals.records import RecordLog
from evals.run_folder import attempts_dir, clips_file
from evals.running.config import RunConfig
from evals.running.jobs import ClipJob, Record

WINDOW_PER_WORKER = 4
"""Records in flight per worker: enough to keep every worker busy, small enough to keep memory flat."""

Submit = Callable[[object], list[tuple[object, ClipJob]]]
"""One unit of work -> its score futures (each resolving to a `Record`) with the job each is about."""


def drive(client, config: RunConfig, units: Iterable, submit: Submit, total: int) -> None:
    """Submits `units` in order, a bounded window at a time, and appends every record to
    `config.outdir`/clips.jsonl as it arrives (`total` records expected: the progress bar)."""
    from distributed import as_completed

    from evals.running.engine import worker_count

    window = WINDOW_PER_WORKER * max(1, worker_count(client))
    bar = progress_bar(total, config.progress)
    pending, flying, jobs = deque(units), as_completed(), {}

    def fill() -> None:
        while pending and flying.count() < window:
            for future, job in submit(pending.popleft()):
                jobs[future.key] = job
                flying.add(future)

    with RecordLog(clips_file(config.outdir)) as log:
        fill()
        for future in flying:
            job = jobs.pop(future.key)
            try:
                record = future.result()
            except Exception as err:  # noqa: BLE001 - KilledWorker after repeated deaths, or a task error
                record = task_failed(job, err, config.metrics)
            log.append(record.to_json())
            bar.update()
            future.release()
            fill()
    bar.close()
    shutil.rmtree(attempts_dir(config.outdir), ignore_errors=True)


def task_failed(job: ClipJob, err: Exception, names: tuple[str, ...] | None) -> Record:
    """An error record for a task Dask gave up on (a worker died `ALLOWED_FAILURES + 1` times, ...)."""
    from distributed import KilledWorker

    from evals.running.engine import ALLOWED_FAILURES
    from evals.running.worker import failed_record

    if isinstance(err, KilledWorker):
        reason = (
            f"the scheduler gave the task up after {ALLOWED_FAILURES + 1} worker deaths ({err}); "
            "the run went on"
        )
    else:
        reason = f"task failed: {type(err).__name__}: {err}"
    return failed_record(job, reason, names)


def progress_bar(total: int, enabled: bool):
    """A tqdm bar on stderr (hidden when not `enabled` or not on a terminal)."""
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc="evaluating",
        unit="record",
        disable=not enabled or None,
        file=sys.stderr,
        leave=False,
    )
