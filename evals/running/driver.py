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

    try:
        with RecordLog(clips_file(config.outdir)) as log:
            fill()
            for future in flying:
                job = jobs.pop(future.key)
                try:
                    record = future.result()
                except Exception as err:  # noqa: BLE001 - KilledWorker after repeated deaths, or a task error
                    record = task_failed(job, err, config.metrics)
                log.append(record.to_json())
                bar.update(error=record.status != "ok")
                future.release()
                fill()
    finally:
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


PLAIN_EVERY_RECORDS = 10
"""Without a terminal, a plain progress line every this many records..."""
PLAIN_EVERY_SECONDS = 30.0
"""... or when this many seconds have passed since the last line, whichever comes first."""


def progress_bar(total: int, enabled: bool, stream=None):
    """The run's progress on stderr (`stream`): a tqdm bar on a terminal; elsewhere (a CI log, `nohup`)
    a plain line every `PLAIN_EVERY_RECORDS` records or `PLAIN_EVERY_SECONDS`, and at the end;
    nothing when not `enabled` (--no-progress). `update(error=...)` counts one record."""
    stream = sys.stderr if stream is None else stream
    if not enabled:
        return PlainProgress(total, stream, enabled=False)
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return _Bar(total, stream)
    return PlainProgress(total, stream)


class _Bar:
    """tqdm on a terminal."""

    def __init__(self, total: int, stream) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc="evaluating", unit="record", file=stream, leave=False)

    def update(self, error: bool = False) -> None:
        self.bar.update()

    def close(self) -> None:
        self.bar.close()


class PlainProgress:
    """One line per step: "evals: 12/48 clip-methods done, 0 errors, 35 s"."""

    def __init__(self, total: int, stream, enabled: bool = True) -> None:
        import threading
        import time

        self.clock = time.monotonic
        self.total, self.stream, self.enabled = total, stream, enabled
        self.done = self.errors = 0
        self.start = self.last = self.clock()
        self.last_done = 0
        self.lock, self.stopped = threading.Lock(), threading.Event()
        self.heartbeat = None
        if enabled:  # a line every PLAIN_EVERY_SECONDS even while no record arrives (a slow first task)
            self.heartbeat = threading.Thread(target=self._beat, name="evals-progress", daemon=True)
            self.heartbeat.start()

    def update(self, error: bool = False) -> None:
        with self.lock:
            self.done += 1
            self.errors += bool(error)
            now = self.clock()
            if (
                self.done - self.last_done >= PLAIN_EVERY_RECORDS
                or now - self.last >= PLAIN_EVERY_SECONDS
                or self.done == self.total
            ):
                self._line(now)

    def close(self) -> None:
        self.stopped.set()
        with self.lock:
            if self.done != self.last_done:
                self._line(self.clock())
        if self.heartbeat is not None:
            self.heartbeat.join(timeout=1)

    def _beat(self) -> None:
        while not self.stopped.wait(1.0):
            with self.lock:
                now = self.clock()
                if now - self.last >= PLAIN_EVERY_SECONDS and not self.stopped.is_set():
                    self._line(now)

    def _line(self, now: float) -> None:
        self.last, self.last_done = now, self.done
        if self.enabled:
            errors = f"{self.errors} error{'' if self.errors == 1 else 's'}"
            print(
                f"evals: {self.done}/{self.total} clip-methods done, {errors}, {now - self.start:.0f} s",
                file=self.stream,
                flush=True,
            )
