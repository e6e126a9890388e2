"""The Dask engine: which cluster a run uses, and how tasks ask for a GPU.

    in-process   a distributed scheduler and one worker inside this process, one thread per core;
                 no process start, and what a test monkeypatches is what the tasks run
    local        a LocalCluster: one worker process per core, one thread each, torch and BLAS at one
                 thread; a worker that dies is restarted by its nanny and its task retried
    address      an existing cluster (`--scheduler tcp://HOST:PORT` or `--scheduler-file FILE`), e.g.
                 `dask scheduler` + `dask worker` processes, or dask-jobqueue's SLURMCluster

`choose_engine` picks in-process unless told otherwise: on the 2-core machine this was measured on,
it scored a 200-clip corpus fastest of all (docs/scale.md), and a LocalCluster never caught up.
`--engine local` is the choice for process isolation (a method that can crash its process) and
for machines where more cores make worker processes pay. A task whose worker dies is retried on another; one whose worker died `MAX_DEATHS`
times gives up and the runner records the clip as an error with that reason.
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
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
WORKER_ENVIRON = dict(ONE_THREAD)
"""The environment a local worker process starts with: one thread, and no MALLOC_TRIM_THRESHOLD_.

Dask sets MALLOC_TRIM_THRESHOLD_=65536 by default. Any explicit value turns off glibc's dynamic
mmap threshold, so every tensor buffer over 128 KiB is mmapped and unmapped again, and torch
page-faults on every allocation: Griffin-Lim on a 3 s clip took 0.70 s per call in a worker
against 0.32 s in a plain single-threaded process (measured; the same 0.70 s in a plain process
with the variable set). Leaving it unset keeps glibc's defaults, as in any Python process."""


def choose_engine(scheduler: str | None, scheduler_file: str | None, engine: str | None) -> str:
    """"address" when a scheduler is given, else `engine` if set, else "in-process" (measured fastest)."""
    if scheduler or scheduler_file:
        return "address"
    return engine or "in-process"


@contextlib.contextmanager
def open_client(engine: str, workers: int | None = None, scheduler: str | None = None,
                scheduler_file: str | None = None, gpu: bool = False):
    """A connected `distributed.Client` for the engine; the cluster it started is closed on exit.

    `gpu`: give every local worker the resource `GPU=1` (a machine with CUDA); reconstruction tasks
    then ask for it (`gpu_resources`).
    """
    import dask
    from distributed import Client, LocalCluster

    workers = workers or os.cpu_count() or 1
    # worker-saturation 1.0: a worker holds only the task it runs, so when it dies no queued
    # bystander is blamed (Dask counts a death against every task assigned to that worker).
    settings = {"distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
                "distributed.scheduler.worker-saturation": 1.0,
                "distributed.nanny.pre-spawn-environ": dict(WORKER_ENVIRON),
                "distributed.worker.daemon": False, "distributed.admin.tick.limit": "60s"}
    with dask.config.set(settings):
        if engine == "address":
            client = Client(scheduler_file=scheduler_file) if scheduler_file else Client(scheduler)
            cluster = None
        elif engine == "in-process":
            cluster = LocalCluster(processes=False, n_workers=1, threads_per_worker=workers,
                                   dashboard_address=None, silence_logs=logging.ERROR,
                                   resources={"GPU": 1} if gpu else None)
            client = Client(cluster)
        elif engine == "local":
            cluster = LocalCluster(processes=True, n_workers=workers, threads_per_worker=1,
                                   dashboard_address=None, silence_logs=logging.ERROR,
                                   resources={"GPU": 1} if gpu else None)
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
