"""Synthetic clips.jsonl records of rate ladders, for the rate-quality tests (no codec runs)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from evals.run_folder import clips_file


def record(clip: str, method: str, kbps: float | None, values: dict[str, float], **fields) -> dict:
    """One ok record of `method` on `clip` with measured `kbps` and ok metric `values`."""
    return {
        "clip": clip,
        "method": method,
        "status": "ok",
        "seconds": 2.0,
        "kbps": kbps,
        "payload_kbps": None if kbps is None else kbps * 0.9,
        "metrics": {m: {"value": v, "status": "ok", "reason": ""} for m, v in values.items()},
        **fields,
    }


def ladder_records(
    clips: list[str],
    ladders: dict[str, tuple[float, list[float]]],
    *,
    noise: float = 0.0,
    seed: int = 0,
    metrics: tuple[str, ...] = ("pesq_wb", "log_mel_l1"),
) -> list[dict]:
    """Records of rate ladders: `ladders` maps a spec template ("opus:kbps={}") to (efficiency, rates);
    a point at rate r has quality 1 + ln(efficiency * r) plus Gaussian `noise` per clip (PESQ-WB), and
    log-mel L1 = 5 - that quality (lower is better). A family with efficiency e needs 1/e times the
    bits of one with efficiency 1 for the same quality."""
    rng = np.random.default_rng(seed)
    out = []
    for clip in clips:
        for template, (efficiency, rates) in ladders.items():
            for rate in rates:
                q = 1 + math.log(efficiency * rate) + noise * float(rng.standard_normal())
                values = {"pesq_wb": q, "log_mel_l1": 5 - q}
                out.append(record(clip, template.format(rate), rate, {m: values[m] for m in metrics}))
    return out


def write_run(run_dir: Path, records: list[dict]) -> Path:
    """A run folder holding just `records` in its clips.jsonl."""
    run_dir.mkdir(parents=True, exist_ok=True)
    clips_file(run_dir).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return run_dir
