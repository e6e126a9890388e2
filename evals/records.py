"""clips.jsonl: its one writer (`RecordLog`), its one reader (`read_records`), and the one rule for
duplicate and damaged lines that every reader of a run's records follows (summary, resume, compare,
gates, history, the scripts).

A record is one (clip, method) result, one JSON object per line (`evals.running.jobs.Record` builds
them). Its key is (method spec with its parameters, clip id); when a file holds two records with
one key, the last one written wins. Appends are flushed and fsynced in batches (every
`FSYNC_EVERY` records or `FSYNC_SECONDS`), so a killed driver loses at most the records of the
last batch and the work in flight.

Damaged lines: a last line without its newline is the write that was in flight when a run died;
it is dropped with a warning (`TornRecordWarning`; `--resume` cuts it off before appending). Any
other line that is not a JSON object holding the `REQUIRED` fields is an error (`DamagedRecords`)
naming the file and the line.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path

from evals.run_folder import records_file, write_atomic

FSYNC_EVERY = 16
FSYNC_SECONDS = 2.0
REQUIRED = ("method", "clip", "metrics")
"""Fields every record holds (also the records built from golden values and history entries)."""


class TornRecordWarning(UserWarning):
    """The last line of a clips.jsonl was cut short, and dropped."""


class DamagedRecords(ValueError):
    """A line of a clips.jsonl other than an unterminated last one is not a record."""


def record_key(record: dict) -> tuple[str, str]:
    """(method spec, clip id) of a record: one record per key, the last one written wins."""
    return record["method"], record["clip"]


def read_records(run: str | Path) -> list[dict]:
    """The records of a run folder (or of a clips.jsonl file), one per key: the last one written.

    Each record is its line's JSON object as written (records of older runs may lack fields added
    since), in the order the surviving lines were written. A missing file holds no records.

    Raises:
        DamagedRecords: a line other than an unterminated last one is not a JSON object with the
            `REQUIRED` fields; the message names the file and the line, and what to do.
    """
    path = records_file(run)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")
    # A complete file ends with "\n", so its last item is ""; anything else is a write cut short.
    complete, torn = lines[:-1], lines[-1]
    if torn:
        warnings.warn(
            f"{path}:{len(lines)}: dropped the last line, cut short (the write in flight when the "
            "run stopped); `--resume` redoes its record",
            TornRecordWarning,
            stacklevel=2,
        )
    latest: dict[tuple[str, str], dict] = {}
    for number, line in enumerate(complete, 1):
        if line.strip():
            record = _parse(path, number, line)
            latest.pop(record_key(record), None)  # the last one written wins, in its place
            latest[record_key(record)] = record
    return list(latest.values())


def _parse(path: Path, number: int, line: str) -> dict:
    """One complete line as a record, or `DamagedRecords` naming `path:number`."""
    advice = (
        "the other records are kept: delete this line (or move the file aside) and rerun with --resume "
        "to redo its record"
    )
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise DamagedRecords(f"{path}:{number} is not a JSON record ({err}); {advice}") from err
    missing = (
        [name for name in REQUIRED if name not in record] if isinstance(record, dict) else list(REQUIRED)
    )
    if missing:
        raise DamagedRecords(f"{path}:{number} is not a record: it lacks {', '.join(missing)}; {advice}")
    return record


def _line(record: dict) -> str:
    return json.dumps(record) + "\n"


def keep_ok_records(path: Path) -> dict[tuple[str, str], dict]:
    """Rewrites clips.jsonl at `path` (atomically) with only the records that are ok, one per key (each
    line as it was); returns them by key. `--resume` appends the records it redoes after them."""
    kept = {record_key(r): r for r in read_records(path) if r.get("status") == "ok"}
    if Path(path).exists():
        write_atomic(Path(path), "".join(_line(r) for r in kept.values()))
    return kept


class RecordLog:
    """Appends records (JSON objects) to clips.jsonl; `close()` (or the context manager) syncs the tail."""

    def __init__(self, path: Path, every: int = FSYNC_EVERY, seconds: float = FSYNC_SECONDS):
        self.path = Path(path)
        self.every, self.seconds = every, seconds
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - open until close()
        self._pending, self._last_sync = 0, time.monotonic()
        self.written = 0

    def append(self, record: dict) -> None:
        self._file.write(_line(record))
        self._pending += 1
        self.written += 1
        if self._pending >= self.every or time.monotonic() - self._last_sync >= self.seconds:
            self.sync()

    def sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._pending, self._last_sync = 0, time.monotonic()

    def close(self) -> None:
        if not self._file.closed:
            self.sync()
            self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
