"""Stage 1, read: which files a run scores, the id each gets, and reading one as a 16 kHz reference.

The driver only lists paths (`clip_refs`); the audio is read on a worker (`read_reference`), so the
driver's memory does not grow with the corpus.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.run_folder import RunError  # re-exported: defined beside the run folder's checks

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".aif", ".aiff", ".au", ".w64"}


@dataclass(frozen=True)
class ClipRef:
    """One input by name: `id` (unique in the run, used for file names) and its `path`."""

    id: str
    path: str


def collect_inputs(inputs: list[str]) -> list[Path]:
    """Audio files named directly, plus every audio file under named folders, sorted."""
    found: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
        elif path.is_file():
            found.append(path)
        else:
            raise RunError(f"input not found: {item}")
    if not found:
        raise RunError(f"no audio files ({', '.join(sorted(AUDIO_SUFFIXES))}) in {inputs}")
    return found


def clip_refs(paths: list[Path]) -> list[ClipRef]:
    """A unique id per path: the file stem, prefixed by its folder (then suffixed) on a clash."""
    refs, seen = [], set()
    for path in paths:
        clip_id = path.stem
        while clip_id in seen:
            clip_id = f"{path.parent.name}__{clip_id}" if path.parent.name not in clip_id else clip_id + "_"
        seen.add(clip_id)
        refs.append(ClipRef(clip_id, str(path)))
    return refs


def read_reference(path: str | Path) -> np.ndarray:
    """The file as 16 kHz mono float32 `[N]` at its original gain (soxr resampling, channel mean).

    Raises whatever the reader raises on an unreadable file (the caller records it).
    """
    from codec.audio import to_mono_16k
    from codec.audio_files import read_audio

    wave, rate = read_audio(Path(path))
    return to_mono_16k(wave, rate)


def check_metric_names(names: list[str] | None) -> tuple[str, ...] | None:
    """The metric subset as a tuple (None: every metric); an unknown name is a RunError."""
    from evals.metrics import all_metrics

    if not names:
        return None
    unknown = sorted(set(names) - set(all_metrics()))
    if unknown:
        raise RunError(f"unknown metric(s) {unknown}; `python -m evals metrics` lists them")
    return tuple(dict.fromkeys(names))
