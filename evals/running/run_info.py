"""run.json: what a run was asked to do and what each method's worker found, written before any record."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from evals.run_folder import RUN_FILE, run_file, write_atomic
from evals.running.config import RunConfig
from evals.running.inputs import ClipRef, RunError

SCHEMA = 2


@dataclass(frozen=True, kw_only=True)
class RunInfo:
    """The contents of run.json (`to_json` gives its fields in the order they are written).

    Attributes:
        inputs, methods, weights, metrics (None: all), device (as resolved), report, save_audio, command:
            as the `RunConfig` asked. engine: the engine chosen (`evals.running.engine`).
        clips: the inputs with their ids. infos: method spec -> its worker's info (status or skip
            reason, load time, weights sha256, delay; `evals.running.worker.probe_task`).
    """

    inputs: tuple[str, ...]
    methods: tuple[str, ...]
    weights: str | None
    metrics: tuple[str, ...] | None
    device: str
    engine: str | None
    report: bool
    save_audio: bool
    command: tuple[str, ...]
    clips: tuple[ClipRef, ...]
    infos: dict[str, dict]
    schema: int = SCHEMA

    @classmethod
    def create(cls, config: RunConfig, clips: list[ClipRef], engine: str, infos: dict[str, dict]) -> RunInfo:
        return cls(
            inputs=config.inputs,
            methods=config.methods,
            weights=config.weights,
            metrics=config.metrics,
            device=config.device,
            engine=engine,
            report=config.report,
            save_audio=config.save_audio,
            command=tuple(config.command),
            clips=tuple(clips),
            infos=infos,
        )

    def to_json(self) -> dict:
        return {
            "schema": self.schema,
            "inputs": list(self.inputs),
            "methods": list(self.methods),
            "weights": self.weights,
            "metrics": list(self.metrics) if self.metrics else None,
            "device": self.device,
            "engine": self.engine,
            "report": self.report,
            "save_audio": self.save_audio,
            "command": list(self.command),
            "clips": [{"id": c.id, "path": c.path} for c in self.clips],
            "infos": self.infos,
        }

    @classmethod
    def from_json(cls, data: dict) -> RunInfo:
        return cls(
            inputs=tuple(data.get("inputs", ())),
            methods=tuple(data["methods"]),
            weights=data.get("weights"),
            metrics=tuple(data["metrics"]) if data.get("metrics") else None,
            device=data.get("device", "cpu"),
            engine=data.get("engine"),
            report=bool(data.get("report")),
            save_audio=bool(data.get("save_audio", True)),
            command=tuple(data.get("command") or ()),
            clips=tuple(ClipRef(c["id"], c["path"]) for c in data["clips"]),
            infos=data["infos"],
            schema=data.get("schema", SCHEMA),
        )


def write_run(outdir: Path, info: RunInfo) -> None:
    """RUN/run.json, atomically."""
    write_atomic(run_file(outdir), json.dumps(info.to_json(), indent=1) + "\n")


def read_run(outdir: str | Path) -> RunInfo:
    """RUN/run.json of a run folder."""
    path = run_file(outdir)
    if not path.is_file():
        raise RunError(
            f"{outdir} has no {RUN_FILE}: not a run folder written by `python -m evals run` or `score`"
        )
    return RunInfo.from_json(json.loads(path.read_text()))
