"""Stage 1, read: which files a run scores, the id each gets, and reading one as a 16 kHz reference.

The driver only lists paths (`input_clips`); the audio is read on a worker (`read_reference`), so the
driver's memory does not grow with the corpus.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.run_folder import RunError  # re-exported: defined beside the run folder's checks

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".aif", ".aiff", ".au", ".w64", ".mp3"}
"""What libsndfile (1.1 and later: MP3 too) reads; other files under an input folder are skipped,
said on stderr."""


@dataclass(frozen=True)
class ClipRef:
    """One input by name: `id` (unique in the run, used for file names) and its `path`."""

    id: str
    path: str


def collect_inputs(inputs: list[str]) -> list[Path]:
    """Audio files named directly, plus every audio file under named folders, sorted."""
    return [Path(c.path) for c in input_clips(inputs)]


def input_clips(inputs: list[str], *, report=None) -> list[ClipRef]:
    """The clips of `inputs`, each with a stable id that does not depend on which other files exist:
    a file found under a named folder gets its path relative to that folder without the extension
    ('/'-separated, e.g. `sub1/b`); a file named directly gets its stem (two such files with one
    stem are refused). Files under a folder that are skipped (not audio, symlinked folders) are
    told to `report` (default: one line each on stderr)."""
    explicit: dict[str, Path] = {}
    refs: dict[str, ClipRef] = {}
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for clip_id, file in folder_audio(path, report=report).items():
                _add(refs, ClipRef(clip_id, str(file)))
        elif path.is_file():
            if path.stem in explicit:
                raise RunError(
                    f"{explicit[path.stem]} and {path} would both get the clip id {path.stem!r} (files named "
                    "on the command line are known by their stem); rename one, or name their folder instead"
                )
            explicit[path.stem] = path
            _add(refs, ClipRef(path.stem, str(path)))
        else:
            raise RunError(f"input not found: {item}")
    if not refs:
        raise RunError(f"no audio files ({', '.join(sorted(AUDIO_SUFFIXES))}) in {inputs}")
    return list(refs.values())


def _add(refs: dict[str, ClipRef], ref: ClipRef) -> None:
    other = refs.get(ref.id)
    if other is not None and other.path != ref.path:
        raise RunError(
            f"{other.path} and {ref.path} would both get the clip id {ref.id!r}; rename one or give "
            "their folders separately"
        )
    refs.setdefault(ref.id, ref)


def skipped_line(path: Path, why: str) -> None:
    """The default `report` of skipped files: one line on stderr."""
    import sys

    print(f"skipped {path}: {why}", file=sys.stderr)


def folder_audio(folder: Path, *, report=None) -> dict[str, Path]:
    """Relative path without the extension (posix) -> file, for every audio file under `folder`, sorted.

    Symlinked folders are not followed and other files are not read; each is told to `report`
    (`skipped_line` by default) with the reason. Two files with one relative path and different
    extensions are refused (ambiguous)."""
    report = report or skipped_line
    found: dict[str, Path] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_dir():
            if path.is_symlink():
                report(path, "a symlinked folder (not followed; name it as an input to include it)")
            continue
        if path.suffix.lower() not in AUDIO_SUFFIXES:
            if not path.name.startswith("."):  # .DS_Store and the like: not worth a line
                report(path, f"not an audio file this harness reads ({', '.join(sorted(AUDIO_SUFFIXES))})")
            continue
        key = path.relative_to(folder).with_suffix("").as_posix()
        if key in found:
            raise RunError(f"ambiguous: {found[key]} and {path} both pair as {key!r}; keep one per name")
        found[key] = path
    return found


def clip_refs(paths: list[Path]) -> list[ClipRef]:
    """Files named directly: each id is its stem (`input_clips`)."""
    return input_clips([str(p) for p in paths])


def file_sha256(path: str | Path) -> str:
    """The sha256 of the file's bytes (read in 1 MiB blocks)."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_wav_complete(path: str | Path) -> None:
    """Raises `InvalidAudioError` when `path` is a WAV whose header promises more audio data than the
    file holds (a truncated copy: libsndfile would read the part that is there without a word)."""
    import struct

    from codec.errors import InvalidAudioError

    path = Path(path)
    if path.suffix.lower() != ".wav":
        return
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
            return
        order = "<" if head[:4] == b"RIFF" else ">"
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            chunk, length = struct.unpack(order + "4sI", f.read(8))
            if chunk == b"data":
                if length > size - pos - 8:
                    raise InvalidAudioError(
                        f"{path} is truncated: its header promises {length} bytes of audio, the file "
                        f"holds {size - pos - 8}"
                    )
                return
            pos += 8 + length + (length & 1)


def read_reference(path: str | Path) -> np.ndarray:
    """The file as 16 kHz mono float32 `[N]` at its original gain (soxr resampling, channel mean).

    Raises whatever the reader raises on an unreadable file (the caller records it).
    """
    from codec.audio import to_mono_16k
    from codec.audio_files import read_audio

    check_wav_complete(path)
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
