"""The reports' figures (data in `baselines.json`), matched against a run's summary."""

from __future__ import annotations

import functools
import json
from pathlib import Path

BASELINES_FILE = Path(__file__).with_name("baselines.json")
VAE_ONLY = "vae+griffinlim"
"""The reports' "change" figures are differences to their VAE + Griffin-Lim run."""


@functools.lru_cache(maxsize=1)
def load_baselines() -> tuple[dict, ...]:
    return tuple(json.loads(BASELINES_FILE.read_text())["baselines"])


def _ours(summary: dict, method: str, metric: str) -> float | None:
    entry = summary.get("methods", {}).get(method, {})
    if metric == "seconds_per_5s":
        rtf = entry.get("timing", {}).get("real_time_factor")
        return None if rtf is None else 5.0 * rtf
    return entry.get("metrics", {}).get(metric, {}).get("mean")


def compare_to_baselines(summary: dict) -> list[dict]:
    """One row per report figure: the figure, ours where the method and metric match, the difference.

    For "change" figures ours is mean(method) - mean(vae+griffinlim), as the reports computed it.
    """
    rows = []
    for entry in load_baselines():
        ours = None
        if entry["method"] and entry["metric"] and entry["kind"] in ("absolute", "change"):
            ours = _ours(summary, entry["method"], entry["metric"])
            if ours is not None and entry["kind"] == "change":
                base = _ours(summary, VAE_ONLY, entry["metric"])
                ours = None if base is None else ours - base
        diff = None if ours is None or entry["value"] is None else ours - entry["value"]
        rows.append({**entry, "ours": ours, "difference": diff})
    return rows
