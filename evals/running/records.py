"""Stage 4, record: `clips.jsonl`, appended by the driver (its only writer) as each record arrives.

A record is one (clip, method) result. Its key is (clip path, method spec with its parameters,
weights sha256): `--resume` skips every key already recorded as ok. Appends are flushed and
fsynced in batches (every `FSYNC_EVERY` records or `FSYNC_SECONDS`), so a killed driver loses at
most the records of the last batch and the work in flight; a torn last line is ignored on read
and cut off before a resumed run appends.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

FSYNC_EVERY = 16
FSYNC_SECONDS = 2.0


def record_key(record: dict) -> tuple[str, str, str]:
    """(clip path, method spec, weights sha256 or "") of a record."""
    return record["path"], record["method"], record.get("weights_sha256") or ""


def read_records(path: Path) -> list[dict]:
    """Every complete record in a clips.jsonl; a torn (unterminated or unparsable) last line is dropped.

    Raises:
        ValueError: a line other than the last does not parse (the file was edited or corrupted).
    """
    path = Path(path)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")
    # After the final "\n" split gives "", so a complete file ends with an empty item.
    complete, last = lines[:-1], lines[-1]
    records = []
    for number, line in enumerate(complete, 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as err:
            if number == len(complete) and not last:
                break  # a torn line that happens to end in a newline is still the last one
            raise ValueError(f"{path}:{number} is not a JSON record ({err}); move the file aside or rerun "
                             "without --resume") from err
    return records


def prepare_resume(path: Path) -> set[tuple[str, str, str]]:
    """Keeps the first ok record of each key, drops failures and duplicates; returns the ok keys.

    The file is rewritten atomically with only the ok records, so a resumed run appends the retried
    keys after them and ends with exactly one record per key.
    """
    from evals.run_folder import write_atomic

    kept: dict[tuple, dict] = {}
    for record in read_records(path):
        if record.get("status") == "ok":
            kept.setdefault(record_key(record), record)
    if Path(path).exists():
        write_atomic(Path(path), "".join(json.dumps(r) + "\n" for r in kept.values()))
    return set(kept)


class RecordLog:
    """Appends records to clips.jsonl; `close()` (or the context manager) syncs the tail."""

    def __init__(self, path: Path, every: int = FSYNC_EVERY, seconds: float = FSYNC_SECONDS):
        self.path = Path(path)
        self.every, self.seconds = every, seconds
        self._file = open(self.path, "a", encoding="utf-8")
        self._pending, self._last_sync = 0, time.monotonic()
        self.written = 0

    def append(self, record: dict) -> None:
        self._file.write(json.dumps(record) + "\n")
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

    def __enter__(self) -> RecordLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
