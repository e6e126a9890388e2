"""The layout of a run folder: every path and file name in it, for the stages that write it and the
reports that read it. Nothing else spells these names.

    RUN/run.json                  what was asked (inputs, methods, metrics, weights) and what each
                                  method's worker found (status, delay, load time); written first
    RUN/clips.jsonl               one record per (clip, method), appended as each completes
                                  (`evals.records` is its one reader and one writer)
    RUN/summary.json, summary.md  rebuilt from the two above (`python -m evals summarize RUN`)
    RUN/report.html               the page (figures/METHOD/ID.png beside it)
    RUN/scorecard.{md,json,html}  the scorecard's verdict, when the run is a scorecard
    RUN/audio/METHOD/ID.wav       16 kHz float WAV of every reconstruction (and audio/reference/)
    RUN/.attempts/                per-task start counts while the run is in flight (removed at the end)
"""

from __future__ import annotations

from pathlib import Path

CLIPS_FILE = "clips.jsonl"
RUN_FILE = "run.json"
SUMMARY_FILE = "summary.json"
SUMMARY_MD_FILE = "summary.md"
REPORT_FILE = "report.html"
SCORECARD_JSON_FILE = "scorecard.json"
SCORECARD_MD_FILE = "scorecard.md"
SCORECARD_HTML_FILE = "scorecard.html"
AUDIO_DIR = "audio"
FIGURES_DIR = "figures"
ATTEMPTS_DIR = ".attempts"
REFERENCE = "reference"
"""The method-folder name of the references under audio/."""

RUN_FILES = (CLIPS_FILE, SUMMARY_FILE, SUMMARY_MD_FILE, RUN_FILE)
"""Any of these in a folder means it holds a run (`--force` or `--resume` needed to write there)."""


def clips_file(run_dir: str | Path) -> Path:
    """RUN/clips.jsonl."""
    return Path(run_dir) / CLIPS_FILE


def records_file(run: str | Path) -> Path:
    """The clips.jsonl of `run`: a run folder, or the file itself."""
    return clips_file(run) if Path(run).is_dir() else Path(run)


def run_file(run_dir: str | Path) -> Path:
    """RUN/run.json."""
    return Path(run_dir) / RUN_FILE


def summary_file(run_dir: str | Path) -> Path:
    """RUN/summary.json."""
    return Path(run_dir) / SUMMARY_FILE


def summary_md_file(run_dir: str | Path) -> Path:
    """RUN/summary.md."""
    return Path(run_dir) / SUMMARY_MD_FILE


def attempts_dir(run_dir: str | Path) -> Path:
    """RUN/.attempts: the task start counts of a run in flight (`evals.running.worker.death_count`)."""
    return Path(run_dir) / ATTEMPTS_DIR


def holds_run(run_dir: str | Path) -> bool:
    """Whether `run_dir` already holds (part of) a run."""
    return any((Path(run_dir) / name).exists() for name in RUN_FILES)


def method_folder(method: str) -> str:
    """The folder (or file) name of a method's audio, figures and golden values (method specs may hold
    ':' '=' ',')."""
    return "".join(c if c.isalnum() or c in "+-._" else "_" for c in method)


def audio_path(outdir: str | Path, method: str, clip_id: str) -> Path:
    """RUN/audio/METHOD/ID.wav (`method` `REFERENCE` for the references)."""
    return Path(outdir) / AUDIO_DIR / method_folder(method) / f"{clip_id}.wav"


def figures_dir(outdir: str | Path) -> Path:
    """RUN/figures: each clip's figures (`figure_path`) and the run's charts."""
    return Path(outdir) / FIGURES_DIR


def figure_path(outdir: str | Path, method: str, clip_id: str) -> Path:
    """RUN/figures/METHOD/ID.png."""
    return figures_dir(outdir) / method_folder(method) / f"{clip_id}.png"


def write_atomic(path: Path, text: str) -> None:
    """`text` to `path` (UTF-8), replacing it atomically (`codec.atomic`)."""
    from codec.atomic import atomic_write

    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"), force=True)
