"""The bundled golden set (golden/manifest.json, set "golden"): paths and content classes."""

from __future__ import annotations

import json
from pathlib import Path

from evals.data_paths import golden_dir

GOLDEN_DIR = golden_dir()
"""The golden folder (evals/data_paths.py: AUDIOLDM2_GOLDEN_DIR, the checkout or the package data)."""


def golden_clips(folder: Path = GOLDEN_DIR) -> dict[str, dict]:
    """clip id -> manifest entry (with an absolute `path`), for the excerpts of set "golden"."""
    manifest = json.loads((folder / "manifest.json").read_text())
    return {
        e["id"]: {**e, "path": folder / e["file"]} for e in manifest["excerpts"] if e.get("set") == "golden"
    }


def clip_classes(folder: Path = GOLDEN_DIR) -> dict[str, str]:
    """clip id -> content class (speech_male, music_drums, environment, ...)."""
    return {cid: e["class"] for cid, e in golden_clips(folder).items()}


GOLDEN_PATHS = ["griffinlim", "griffinlim-32it-plain", "mel80+griffinlim-32it", "mel80+griffinlim-32it-plain"]
"""The code paths the default test run gates: 64- and 80-band Griffin-Lim, with and without momentum."""
GOLDEN_GRID = [
    "griffinlim-64it",
    "griffinlim-64it-plain",
    "griffinlim-256it",
    "griffinlim-256it-plain",
    "mel80+griffinlim-64it",
    "mel80+griffinlim-64it-plain",
    "mel80+griffinlim-256it",
    "mel80+griffinlim-256it-plain",
]
"""The reports' 64/256-iteration grid (`pytest -m slow`)."""
GOLDEN_REFERENCE_PATHS = ["vae+griffinlim", "vae+hifigan", "copysynth", "vae+hifigan:quant=int8"]
"""Gated with the embedded reference models (golden/reference: vae/ and vocoder/); golden values tagged
"reference". The int8 row sends every clip through the .al2c container's bytes."""
REFERENCE_DIR = GOLDEN_DIR / "reference"

VALUES_DIR = GOLDEN_DIR / "values"


def golden_path(method: str, tag: str = "") -> Path:
    """golden/values/METHOD[@TAG].json; the tag names the weights (e.g. "reference")."""
    from evals.run_folder import method_folder

    name = method_folder(method) + (f"@{tag}" if tag else "")
    return VALUES_DIR / f"{name}.json"


def golden_records(method: str, tag: str = "") -> list[dict] | None:
    """The recorded golden run of `method` as clips.jsonl-like records, or None when none is recorded."""
    path = golden_path(method, tag)
    if not path.is_file():
        return None
    values = json.loads(path.read_text())["values"]
    return [{"method": method, "clip": clip, "metrics": metrics} for clip, metrics in values.items()]


NOISE_FILE = GOLDEN_DIR / "noise.json"


def noise_entry(method: str) -> dict | None:
    """`method`'s measured reproducibility noise in golden/noise.json ({"per_clip": {metric: spread},
    "per_class": {...}}; see scripts/measure_noise.py), or None when it was not measured."""
    if not NOISE_FILE.is_file():
        return None
    return json.loads(NOISE_FILE.read_text())["methods"].get(method)
