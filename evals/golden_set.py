"""The bundled golden set (golden/manifest.json, set "golden"): paths and content classes."""

from __future__ import annotations

import json
from pathlib import Path

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden"


def golden_clips(folder: Path = GOLDEN_DIR) -> dict[str, dict]:
    """clip id -> manifest entry (with an absolute `path`), for the excerpts of set "golden"."""
    manifest = json.loads((folder / "manifest.json").read_text())
    return {e["id"]: {**e, "path": folder / e["file"]} for e in manifest["excerpts"]
            if e.get("set") == "golden"}


def clip_classes(folder: Path = GOLDEN_DIR) -> dict[str, str]:
    """clip id -> content class (speech_male, music_drums, environment, ...)."""
    return {cid: e["class"] for cid, e in golden_clips(folder).items()}
