"""A listener's downloaded ratings -> `ListenerRatings`, checked against the test they claim.

Each problem is a `ListeningError` naming the file: not JSON (or cut short), not a ratings file,
ratings of another test, a rating outside 0-100 or of a signal the trial lacks, a listener with no
ratings, the same listener in two files. The training trial's ratings are read and left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from evals.listening.folder import JSON_FILE, LAYOUT_FILE, RESULTS_FORMAT, ListeningError
from evals.listening.layout import TRAINING, Layout

OWN_FILES = (LAYOUT_FILE, JSON_FILE)
"""JSON files of a test folder that are not ratings (skipped when a folder is given)."""


@dataclass(frozen=True)
class ListenerRatings:
    """One listener's scores: {(trial id, condition): 0..100} over the scored trials they rated."""

    listener: str
    file: Path
    seed: int | None
    complete: bool
    scores: dict[tuple[str, str], float]


def results_files(paths: list[str | Path]) -> list[Path]:
    """The ratings files named: each file, and each folder's *.json (but test.json and listening.json)."""
    files = []
    for given in map(Path, paths):
        if given.is_dir():
            found = sorted(p for p in given.glob("*.json") if p.name not in OWN_FILES)
            if not found:
                raise ListeningError(f"{given} holds no ratings file (*.json)")
            files += found
        elif given.is_file():
            files.append(given)
        else:
            raise ListeningError(f"{given} does not exist")
    return list(dict.fromkeys(files))


def read_ratings(path: Path, layout: Layout) -> ListenerRatings:
    """One file's ratings, checked against `layout`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ListeningError(f"{path} is not a readable JSON file (cut short?): {err}") from err
    if not isinstance(data, dict) or data.get("format") != RESULTS_FORMAT:
        raise ListeningError(f"{path} is not a listening-test ratings file (no format {RESULTS_FORMAT!r})")
    if data.get("test_id") != layout.test_id:
        raise ListeningError(
            f"{path} holds ratings of another test ({data.get('test_id')!r}; this test is "
            f"{layout.test_id}): analyse it with the folder of its own test"
        )
    listener, trials = data.get("listener"), data.get("trials")
    if not isinstance(listener, str) or not listener.strip() or not isinstance(trials, dict):
        raise ListeningError(f"{path} is malformed: it lacks the listener's name or the trials")
    scores = {}
    for trial_id, entry in trials.items():
        if trial_id == TRAINING:
            continue
        trial = layout.trial(trial_id)
        ratings = entry.get("ratings") if isinstance(entry, dict) else None
        if trial is None or not isinstance(ratings, dict):
            raise ListeningError(f"{path} is malformed: trial {trial_id!r} is not one of this test's")
        for key, value in ratings.items():
            condition = trial.condition(key)
            if condition is None or isinstance(value, bool) or not isinstance(value, int | float):
                raise ListeningError(f"{path} is malformed: trial {trial_id} rates {key!r} as {value!r}")
            if not 0 <= value <= 100:
                raise ListeningError(f"{path}: trial {trial_id} rates a signal {value}, outside 0-100")
            scores[(trial_id, condition)] = float(value)
    if not scores:
        raise ListeningError(
            f"{path} (listener {listener!r}) holds no ratings of a scored trial: leave it out, or have "
            "the listener finish the test and download again"
        )
    seed = data.get("seed")
    return ListenerRatings(
        listener.strip(), path, seed if isinstance(seed, int) else None, bool(data.get("complete")), scores
    )


def read_all(paths: list[str | Path], layout: Layout) -> list[ListenerRatings]:
    """Every listener's ratings from `paths` (files or folders); the same listener twice is an error."""
    listeners = [read_ratings(p, layout) for p in results_files(paths)]
    seen: dict[str, ListenerRatings] = {}
    for entry in listeners:
        other = seen.setdefault(entry.listener.casefold(), entry)
        if other is not entry:
            raise ListeningError(
                f"listener {entry.listener!r} appears twice ({other.file} and {entry.file}): keep one file"
            )
    return listeners
