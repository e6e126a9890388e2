"""The layout of a run folder: every path and file name in it, for the stages that write it and the
reports that read it. Nothing else spells these names.

    RUN/run.json                  what was asked (inputs, methods, metrics, weights) and what each
                                  method's worker found (status, delay, load time); written first
    RUN/clips.jsonl               one record per (clip, method), appended as each completes
                                  (`evals.records` is its one reader and one writer)
    RUN/summary.json, summary.md  rebuilt from the two above (`python -m evals summarize RUN`)
    RUN/report.html               the page (figures/METHOD/ID.png beside it)
    RUN/scorecard.{md,json,html}  the scorecard's verdict, when the run is a scorecard
    RUN/rate.{md,json}            rate-quality curves and BD-rates (`python -m evals rate RUN`, the scorecard)
    RUN/rate/rate_NAME.png        their figures (NAME: a metric, or `overview`)
    RUN/audio/METHOD/ID.wav       16 kHz float WAV of every reconstruction (and audio/reference/)
    RUN/listening-results/TEST.json
                                  each listening test's results (TEST: its id), copied there by
                                  `python -m evals listening` for report.html's "Listening tests"
    RUN/.attempts/                per-task start counts while the run is in flight (removed at the end)
    RUN/.lock                     locked (`flock`) by the run writing the folder (`hold`); removed at the end

A run refuses a folder holding any of its outputs (`OUTPUTS`) unless `--force` (which first removes
them, and nothing else) or `--resume`; its inputs may never lie among its outputs (`check_outdir`).
`--force` removes RUN/listening-results/ too: the tests it records were built from the audio being
replaced. The listeners' ratings and each test's own analysis stay in the test folders (never in the
run's outputs: `listen` refuses a test folder there, `output_holding`), so `listening DIR RESULTS
--force` records a test again.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

CLIPS_FILE = "clips.jsonl"
RUN_FILE = "run.json"
SUMMARY_FILE = "summary.json"
SUMMARY_MD_FILE = "summary.md"
REPORT_FILE = "report.html"
SCORECARD_JSON_FILE = "scorecard.json"
SCORECARD_MD_FILE = "scorecard.md"
SCORECARD_HTML_FILE = "scorecard.html"
RATE_JSON_FILE = "rate.json"
RATE_MD_FILE = "rate.md"
RATE_DIR = "rate"
RATE_OVERVIEW = "overview"
"""The name of the rate figure with every metric over all clips (RUN/rate/rate_overview.png)."""
AUDIO_DIR = "audio"
LISTENING_DIR = "listening-results"
FIGURES_DIR = "figures"
ATTEMPTS_DIR = ".attempts"
LOCK_FILE = ".lock"
REFERENCE = "reference"
"""The method-folder name of the references under audio/."""

RUN_FILES = (CLIPS_FILE, SUMMARY_FILE, SUMMARY_MD_FILE, RUN_FILE)
"""Any of these in a folder means it holds a run (`--resume` can finish it)."""

OUTPUTS = (
    RUN_FILE,
    CLIPS_FILE,
    SUMMARY_FILE,
    SUMMARY_MD_FILE,
    REPORT_FILE,
    SCORECARD_JSON_FILE,
    SCORECARD_MD_FILE,
    SCORECARD_HTML_FILE,
    RATE_JSON_FILE,
    RATE_MD_FILE,
    RATE_DIR,
    AUDIO_DIR,
    LISTENING_DIR,
    FIGURES_DIR,
    ATTEMPTS_DIR,
)
"""Everything a run (run, score, scorecard) writes in its folder: a run refuses a folder holding any of
them without `--force` or `--resume`, and `--force` removes exactly these (`clear_outputs`)."""

RATE_OUTPUTS = (RATE_JSON_FILE, RATE_MD_FILE, RATE_DIR)
"""What `python -m evals rate` writes in a run folder (also a run's outputs: `--force` removes them)."""

RESERVED_METHOD_FOLDERS = (REFERENCE,)
"""Method folders under audio/ that hold something else."""


class RunError(Exception):
    """A problem with the run's arguments (inputs, methods, metrics, output folder: it holds another
    run's outputs, it overlaps the run's inputs, or another run holds it)."""


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


def rate_json_file(run_dir: str | Path) -> Path:
    """RUN/rate.json."""
    return Path(run_dir) / RATE_JSON_FILE


def rate_md_file(run_dir: str | Path) -> Path:
    """RUN/rate.md."""
    return Path(run_dir) / RATE_MD_FILE


def rate_dir(run_dir: str | Path) -> Path:
    """RUN/rate: the rate-quality figures."""
    return Path(run_dir) / RATE_DIR


def rate_figure_path(run_dir: str | Path, name: str) -> Path:
    """RUN/rate/rate_NAME.png (NAME a metric, or `RATE_OVERVIEW`)."""
    return rate_dir(run_dir) / f"rate_{method_folder(name)}.png"


def listening_dir(run_dir: str | Path) -> Path:
    """RUN/listening-results: one JSON file per listening test of the run (`listening_file`)."""
    return Path(run_dir) / LISTENING_DIR


def listening_file(run_dir: str | Path, test_id: str) -> Path:
    """RUN/listening-results/TEST.json: the results of the listening test `test_id` built from this run
    (`evals.listening.run_record`)."""
    return listening_dir(run_dir) / f"{method_folder(test_id)}.json"


def attempts_dir(run_dir: str | Path) -> Path:
    """RUN/.attempts: the task start counts of a run in flight (`evals.running.worker.death_count`)."""
    return Path(run_dir) / ATTEMPTS_DIR


def holds_run(run_dir: str | Path) -> bool:
    """Whether `run_dir` already holds (part of) a run."""
    return any((Path(run_dir) / name).exists() for name in RUN_FILES)


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def output_holding(run_dir: str | Path, path: str | Path) -> str | None:
    """The name of the run's output (`OUTPUTS`) that `path` is or lies in, or None: what a `--force`
    rerun of the run would remove with it."""
    out, target = Path(run_dir).resolve(), Path(path).resolve()
    return next((name for name in OUTPUTS if _within(target, out / name)), None)


def existing_outputs(run_dir: str | Path, names: Iterable[str] = OUTPUTS) -> list[Path]:
    """The outputs of a run (`OUTPUTS`, or those of `names`) present in `run_dir`: each file, and a
    folder's first file."""
    found = []
    for name in names:
        path = Path(run_dir) / name
        if path.is_dir() and not path.is_symlink():
            found += [p for p in path.rglob("*") if p.is_file() or p.is_symlink()][:1]
        elif path.exists() or path.is_symlink():
            found.append(path)
    return found


def check_outdir(
    run_dir: str | Path, inputs: Iterable[str | Path], *, force: bool, resume: bool, resumable: bool = True
) -> None:
    """Raises `RunError` (one line, naming the file and what to do) unless a run with `inputs`
    may write `run_dir`: no input lies among the outputs and the folder lies in no input folder (even
    with `force`); without `force` or `resume`, the folder holds none of a run's outputs."""
    out = Path(run_dir).resolve()
    written = [out / name for name in OUTPUTS]
    for given in inputs:
        path = Path(given).resolve()
        if path.is_dir() and _within(out, path):
            raise RunError(
                f"the output folder {run_dir} lies inside the input folder {given}, so the run would "
                "read its own outputs; pick an -o outside every input folder"
            )
        hit = next((w for w in written if _within(path, w)), None)
        if hit is not None:
            raise RunError(
                f"the input {given} lies in {hit.name} of the output folder {run_dir}, which the run "
                "writes (even with --force); move the input or pick another -o"
            )
    if force or resume:
        return
    present = existing_outputs(run_dir)
    if not present:
        return
    if resumable and holds_run(run_dir):
        raise RunError(
            f"{run_dir} already holds a run; pass --resume to finish it, --force to overwrite it, "
            f"or pick another -o ({present[0]} exists)"
        )
    raise RunError(
        f"{present[0]} exists and this run would write it; pass --force to replace a previous run's "
        "outputs, or pick another -o"
    )


def clear_outputs(run_dir: str | Path) -> None:
    """Removes a previous run's outputs (`OUTPUTS`) from `run_dir`, and nothing else (`--force`)."""
    import shutil

    for name in OUTPUTS:
        path = Path(run_dir) / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()


_HELD: dict[Path, int] = {}
"""Run folders this process holds the lock of, with how many `hold`s are open (they nest)."""


@contextmanager
def hold(run_dir: str | Path) -> Iterator[None]:
    """Creates `run_dir` and holds an exclusive lock on it (`flock` of RUN/.lock, not waiting) until
    the block ends, then removes the lock file; raises `RunError` while another process holds it.
    Nested holds of one folder in one process share the lock (the scorecard holds its folder around
    `run`)."""
    folder = Path(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    key = folder.resolve()
    if key in _HELD:
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    try:
        import fcntl
    except ImportError:  # no flock (Windows): unlocked
        yield
        return
    lock = folder / LOCK_FILE
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            raise RunError(
                f"{run_dir} is in use: another run holds it ({lock} is locked); "
                "wait for that run to end or pick another -o"
            ) from err
        try:  # the lock file we locked is still the one at `lock` (its last holder removes it)
            if os.path.samestat(os.fstat(fd), os.stat(lock)):
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    _HELD[key] = 1
    try:
        yield
    finally:
        del _HELD[key]
        lock.unlink(missing_ok=True)  # while still locked: a waiting run then locks a new file
        os.close(fd)


def check_method_name(name: str) -> None:
    """Raises `RunError` unless `name` can name a method's folders under audio/ and figures/:
    no path separator, not '.' or '..', and not a reserved folder (audio/reference/)."""
    if not name or name in (".", "..") or any(sep in name for sep in ("/", "\\", os.sep)):
        raise RunError(
            f"method name {name!r} cannot name a folder (empty, '.', '..' or a path separator); "
            "pass another --name"
        )
    if method_folder(name).casefold() in (r.casefold() for r in RESERVED_METHOD_FOLDERS):
        raise RunError(
            f"method name {name!r} would write into audio/{REFERENCE}/, where the references are saved; "
            "pass another --name"
        )


def method_folder(method: str) -> str:
    """The folder (or file) name of a method's audio, figures and golden values (method specs may hold
    ':' '=' ',')."""
    return "".join(c if c.isalnum() or c in "+-._" else "_" for c in method)


def clip_file_stem(clip_id: str) -> str:
    """The file name (without extension) of a clip's audio and figure: the id, with '%', '/' and '\\'
    percent-encoded (`sub1/b` -> `sub1%2Fb`), so that distinct ids never share a file (`a/b` and
    `a__b` stay apart) and ids without those characters (every stem) keep their name."""
    return clip_id.replace("%", "%25").replace("/", "%2F").replace("\\", "%5C")


def audio_path(outdir: str | Path, method: str, clip_id: str) -> Path:
    """RUN/audio/METHOD/ID.wav (`method` `REFERENCE` for the references; ID as `clip_file_stem`)."""
    return Path(outdir) / AUDIO_DIR / method_folder(method) / f"{clip_file_stem(clip_id)}.wav"


def figures_dir(outdir: str | Path) -> Path:
    """RUN/figures: each clip's figures (`figure_path`) and the run's charts."""
    return Path(outdir) / FIGURES_DIR


def figure_path(outdir: str | Path, method: str, clip_id: str) -> Path:
    """RUN/figures/METHOD/ID.png (ID as `clip_file_stem`)."""
    return figures_dir(outdir) / method_folder(method) / f"{clip_file_stem(clip_id)}.png"


def write_atomic(path: Path, text: str) -> None:
    """`text` to `path` (UTF-8), replacing it atomically (`codec.atomic`)."""
    from codec.atomic import atomic_write

    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"), force=True)
