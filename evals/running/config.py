"""The run configuration: one frozen object that the CLI (or a caller) builds and every stage reads.

`run`, `score` and the scorecard take a `RunConfig`; the driver hands it to the tasks, which read the
options they need from it (`save_audio`, `report`, `metrics`, `outdir`), so adding an option means
adding a field here and reading it where it matters. A method is named on workers by its
`MethodKey` (what `worker.load_method` caches a built method by).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """What to run and how. Sequences may be given as lists; they are kept as tuples.

    Attributes:
        outdir: the run folder to write (`evals.run_folder`).
        inputs: audio files or folders (`score`: the reference and estimate folders, as recorded).
        methods: method specs `NAME[:key=value,...]` (the scorecard: empty for all of them).
        weights: hub id or folder of the weights (None: the default model; the scorecard: the best found).
        device: "cpu", "cuda", "cuda:N" or "auto" (resolved once by the runner).
        metrics: names of the metrics to compute (None: all).
        plugins: modules imported on the driver and every worker before methods are looked up.
        batch: clips per reconstruction task (one model load per worker either way).
        save_audio: write audio/METHOD/ID.wav and audio/reference/ID.wav.
        report: figures per clip and report.html.
        force: overwrite a run folder that holds a run. resume: finish the run in it.
        progress: a progress bar on a terminal.
        argv: the command recorded in run.json (None: `sys.argv`).
        engine: "in-process", "local" or None (by the run's size); `scheduler` / `scheduler_file` run
            on an existing cluster instead; jobs: workers of a local engine (None: every core).
    """

    outdir: Path
    inputs: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    weights: str | None = None
    device: str = "cpu"
    metrics: tuple[str, ...] | None = None
    plugins: tuple[str, ...] = ()
    batch: int = 1
    save_audio: bool = True
    report: bool = False
    force: bool = False
    resume: bool = False
    progress: bool = True
    argv: tuple[str, ...] | None = None
    engine: str | None = None
    jobs: int | None = None
    scheduler: str | None = None
    scheduler_file: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalised once, here
        set_(self, "outdir", Path(self.outdir))
        set_(self, "inputs", tuple(str(i) for i in self.inputs))
        set_(self, "methods", tuple(self.methods))
        set_(self, "plugins", tuple(self.plugins or ()))
        set_(self, "metrics", tuple(self.metrics) if self.metrics else None)
        set_(self, "argv", tuple(self.argv) if self.argv else None)

    @property
    def command(self) -> list[str]:
        """The command line recorded in run.json."""
        return list(self.argv or sys.argv)

    def method_key(self, spec: str) -> MethodKey:
        """`spec` with this run's weights, device and plugins."""
        return MethodKey(spec, self.weights, self.device, self.plugins)


@dataclass(frozen=True)
class MethodKey:
    """One method as a worker builds it: spec `NAME[:key=value,...]`, weights source, device, and the
    plugin modules to import first (they may register the method)."""

    spec: str
    weights: str | None = None
    device: str = "cpu"
    plugins: tuple[str, ...] = ()
