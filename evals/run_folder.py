"""The layout of a run folder, shared by the stages that write it and the reports that read it.

    RUN/run.json                  what was asked (inputs, methods, metrics, weights) and what each
                                  method's worker found (status, delay, load time); written first
    RUN/clips.jsonl               one record per (clip, method), appended as each completes
    RUN/summary.json, summary.md  rebuilt from the two above (`python -m evals summarize RUN`)
    RUN/report.html               the page (figures/METHOD/ID.png beside it)
    RUN/audio/METHOD/ID.wav       16 kHz float WAV of every reconstruction (and audio/reference/)
"""

from __future__ import annotations

from pathlib import Path

RUN_FILES = ("clips.jsonl", "summary.json", "summary.md")


def method_folder(method: str) -> str:
    """The folder name of a method's audio and figures (method specs may hold ':' '=' ',')."""
    return "".join(c if c.isalnum() or c in "+-._" else "_" for c in method)


def audio_path(outdir: Path, method: str, clip_id: str) -> Path:
    """RUN/audio/METHOD/ID.wav (`method` "reference" for the references)."""
    return Path(outdir) / "audio" / method_folder(method) / f"{clip_id}.wav"


def figure_path(outdir: Path, method: str, clip_id: str) -> Path:
    """RUN/figures/METHOD/ID.png."""
    return Path(outdir) / "figures" / method_folder(method) / f"{clip_id}.png"


def write_atomic(path: Path, text: str) -> None:
    """`text` to `path` (UTF-8), replacing it atomically (`codec.atomic`)."""
    from codec.atomic import atomic_write

    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"), force=True)
