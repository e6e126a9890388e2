"""What a score task is about (`ClipJob`) and what it returns (`Record`: one line of clips.jsonl,
written by `evals.records.RecordLog`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from evals.result import MetricResult
from evals.running.inputs import ClipRef


@dataclass(frozen=True)
class ClipJob:
    """One clip through one method.

    Attributes:
        clip: the input (id and path). method: the method spec `NAME[:key=value,...]`.
        weights_sha256: the weights' fingerprint (None: the method uses none).
        delay: the method's delay in samples (`evals.running.align`).
        notes: fields written after `weights_sha256` (score: how the pair was read, in that order).
    """

    clip: ClipRef
    method: str
    weights_sha256: str | None = None
    delay: int = 0
    notes: dict = field(default_factory=dict, hash=False)


@dataclass(frozen=True, kw_only=True)
class Record:
    """One (clip, method) result; `to_json` is its line of clips.jsonl, fields in the order written.

    Attributes:
        job: the clip and method. seconds: the clip's length (0.0 when it could not be read).
        status: "ok" or "error"; reason: why not ok ("" when ok).
        reconstruct_seconds: wall time of the reconstruction. container_bytes, kbps: the size and rate
            of the whole file the clip went through (measured from its bytes), or None.
            payload_bytes, payload_kbps: the coded audio alone, its container's overhead left out, or None.
            nominal_kbps: the rate the method was asked for (a setting, never the rate), or None.
            bandwidth_hz: the output's audio bandwidth against the reference's
            (`evals.running.bandwidth`), or None.
        delay_samples, lag_estimate, lag_peak, lag_disagrees, metrics: from `evals.running.scoring.Scores`.
        sha256: of the reference file's bytes (None, and not written, when it could not be read), so
            that `compare` can tell a changed file under one clip id.
    """

    job: ClipJob
    seconds: float
    status: str
    reason: str
    reconstruct_seconds: float
    container_bytes: int | None
    kbps: float | None
    payload_bytes: int | None = None
    payload_kbps: float | None = None
    nominal_kbps: float | None = None
    bandwidth_hz: float | None = None
    delay_samples: int | None
    lag_estimate: int | None
    lag_peak: float | None
    lag_disagrees: bool
    metrics: dict[str, MetricResult]
    sha256: str | None = None

    def to_json(self) -> dict:
        job = self.job
        return {
            "clip": job.clip.id,
            "path": job.clip.path,
            **({"sha256": self.sha256} if self.sha256 else {}),
            "method": job.method,
            "weights_sha256": job.weights_sha256,
            **job.notes,
            "seconds": self.seconds,
            "status": self.status,
            "reason": self.reason,
            "reconstruct_seconds": self.reconstruct_seconds,
            "container_bytes": self.container_bytes,
            "kbps": self.kbps,
            "payload_bytes": self.payload_bytes,
            "payload_kbps": self.payload_kbps,
            "nominal_kbps": self.nominal_kbps,
            "bandwidth_hz": self.bandwidth_hz,
            "delay_samples": self.delay_samples,
            "lag_estimate": self.lag_estimate,
            "lag_peak": self.lag_peak,
            "lag_disagrees": self.lag_disagrees,
            "metrics": {name: value.to_json() for name, value in self.metrics.items()},
        }
