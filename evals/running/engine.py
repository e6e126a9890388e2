"""The Dask engine: which cluster a run uses, and how tasks ask for a GPU.

    in-process   a distributed scheduler and one worker inside this process, with one thread (the
                 metrics are not thread-safe: ViSQOL's numba layer and PESQ's C code crashed, and
                 Python's warning filters are process-wide); no process start, and what a test
                 monkeypatches is what the tasks run
    local        a LocalCluster: one worker process per core, one thread each, torch and BLAS at one
                 thread; a worker that dies is restarted by its nanny and its task retried
    address      an existing cluster (`--scheduler tcp://HOST:PORT` or `--scheduler-file FILE`), e.g.
                 `dask scheduler` + `dask worker` processes, or dask-jobqueue's SLURMCluster

`choose_engine` picks in-process for small runs (at most `IN_PROCESS_MAX_TASKS` records: the golden
tests, the examples), where a cluster's start and close cost more than a second worker saves, and a
LocalCluster for everything larger (docs/scale.md has the measurements). A task whose worker dies
is retried on another; one whose worker died `MAX_DEATHS` times gives up and the runner records the
clip as an error with that reason.
"""

from __future__ import annotations

import contextlib
import logging
import os

MAX_DEATHS = 3
"""Worker deaths a reconstruct or score task may cause; its next start returns an error record instead.

Counted by the task itself (`evals.running.worker.death_count`), so only a task that was running
when its worker died is charged with the death."""
ALLOWED_FAILURES = 8
"""The scheduler's own limit (a backstop): Dask charges a death to every task assigned to the dead
worker, running or queued, so its count would fail bystanders; MAX_DEATHS decides first."""
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}
WORKER_ENVIRON = dict(ONE_THREAD)
"""The environment a local worker process starts with: one thread, and no MALLOC_TRIM_THRESHOLD_.

One thread includes numba's (NUMBA_NUM_THREADS): ViSQOL's parallel numba code otherwise starts a
thread per core in every worker, and a worker scoring ViSQOL starved the one reconstructing
(measured: docs/measurements/timings.md).

Dask sets MALLOC_TRIM_THRESHOLD_=65536 by default. Any explicit value turns off glibc's dynamic
mmap threshold, so every tensor buffer over 128 KiB is mmapped and unmapped again, and torch
page-faults on every allocation: Griffin-Lim ran about twice as slow in a worker as in a plain
process, and as slow in a plain process with the variable set (docs/measurements/timings.md).
Leaving it unset keeps glibc's defaults, as in any Python process."""


CONNECT_TIMEOUT_S = 30
"""Seconds to wait for an existing cluster (`--scheduler`, `--scheduler-file`) before giving up with
the address in the message; never an unbounded wait."""


class EngineError(Exception):
    """The engine cannot start: a bad worker count, a scheduler file that is missing or unreadable, a
    scheduler that does not answer."""


def check_workers(workers: int | None) -> None:
    """Refuses a worker count below 1 (None: every core); Dask would wait forever for such a cluster."""
    if workers is not None and workers < 1:
        raise EngineError(f"--jobs must be at least 1 (or left out: every core); got {workers}")


def scheduler_address(scheduler_file: str) -> str:
    """The address a Dask scheduler file holds; refuses a missing, unreadable or malformed file at once
    (Dask itself would wait forever for it to appear)."""
    import json
    from pathlib import Path

    path = Path(scheduler_file)
    if not path.is_file():
        raise EngineError(
            f"--scheduler-file: {path} does not exist (start `dask scheduler --scheduler-file {path}` first)"
        )
    try:
        address = json.loads(path.read_text())["address"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise EngineError(f"--scheduler-file: cannot read a scheduler address from {path}: {err}") from err
    if not isinstance(address, str) or not address:
        raise EngineError(f"--scheduler-file: {path} holds no scheduler address")
    return address


IN_PROCESS_MAX_TASKS = 64
"""Runs of at most this many (clip, method) records use the in-process engine by default."""


def choose_engine(tasks: int, scheduler: str | None, scheduler_file: str | None, engine: str | None) -> str:
    """ "address" when a scheduler is given, else `engine` if set, else by the run's size."""
    if scheduler or scheduler_file:
        return "address"
    if engine:
        return engine
    return "in-process" if tasks <= IN_PROCESS_MAX_TASKS else "local"


PRIVATE_HTTP = {"dashboard_address": "127.0.0.1:0"}
"""The scheduler's HTTP server (health routes; no dashboard, which `dashboard_address=None` turns
off) on a free local port. Without it Dask binds port 8787 on every interface whatever
`dashboard_address` says, and a second run on the same machine warns that the port is taken."""


@contextlib.contextmanager
def open_client(
    engine: str,
    workers: int | None = None,
    scheduler: str | None = None,
    scheduler_file: str | None = None,
    gpu: bool = False,
):
    """A connected `distributed.Client` for the engine; the cluster it started is closed on exit.

    `gpu`: give every local worker the resource `GPU=1` (a machine with CUDA); reconstruction tasks
    then ask for it (`gpu_resources`).
    """
    import dask
    from distributed import Client, LocalCluster

    check_workers(workers)
    address = scheduler_address(scheduler_file) if engine == "address" and scheduler_file else scheduler
    workers = workers or os.cpu_count() or 1
    # worker-saturation 1.0: a worker holds only the task it runs, so when it dies no queued
    # bystander is blamed (Dask counts a death against every task assigned to that worker).
    settings = {
        "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
        "distributed.scheduler.worker-saturation": 1.0,
        "distributed.nanny.pre-spawn-environ": dict(WORKER_ENVIRON),
        "distributed.worker.daemon": False,
        "distributed.admin.tick.limit": "60s",
    }
    with dask.config.set(settings):
        if engine == "address":
            try:
                client = Client(address, timeout=CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError) as err:
                raise EngineError(
                    f"no Dask scheduler answered at {address} within {CONNECT_TIMEOUT_S} s"
                    + (f" (from {scheduler_file})" if scheduler_file else "")
                    + f": {err}"
                ) from err
            cluster = None
        elif engine in ("in-process", "local"):  # in-process: one worker thread in this process
            local = engine == "local"
            cluster = LocalCluster(
                processes=local,
                n_workers=workers if local else 1,
                threads_per_worker=1,
                dashboard_address=None,
                scheduler_kwargs=PRIVATE_HTTP,
                silence_logs=logging.ERROR,
                resources={"GPU": 1} if gpu else None,
            )
            client = Client(cluster)
        else:
            raise ValueError(f"engine must be in-process, local or address; got {engine!r}")
        try:
            yield client
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def worker_count(client) -> int:
    """Workers the scheduler knows now."""
    return len(client.scheduler_info().get("workers", {}))


def gpu_resources(client) -> dict | None:
    """`{"GPU": 1}` when some worker offers a GPU, else None (a task asking for one would wait forever)."""
    workers = client.scheduler_info().get("workers", {}).values()
    return {"GPU": 1} if any(w.get("resources", {}).get("GPU") for w in workers) else None
