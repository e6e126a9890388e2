"""What a listening test plays: `Layout` (its trials, blocks and notes), `Trial` and `Signal`; test.json,
its one file; and the test id, a hash of the stimuli's bytes and the layout, which every listener's
results carry so that ratings of one test are never mixed into another.

A trial is one clip in one block: the open reference and the rated signals (the hidden reference, the
two anchors and the block's methods, at most `MAX_RATED`). A signal's `key` is what the page and the
results name it by; only test.json says which condition it is.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from evals.listening.anchors import LOW, MID
from evals.listening.folder import LAYOUT_FILE, ListeningError

FORMAT = "evals-listening-test"
VERSION = 1
MAX_RATED = 12
"""Signals rated in one trial: the hidden reference, the two anchors and up to 9 methods."""
HIDDEN = "hidden_reference"
REFERENCE = "reference"
FIXED = (HIDDEN, LOW.role, MID.role)
"""The conditions of every trial besides the methods."""
TRAINING = "training"


@dataclass(frozen=True)
class Signal:
    """One stimulus of a trial: `key` (page and results), `condition` (a method spec, `HIDDEN`, an
    anchor's role, or `REFERENCE` for the open reference), `sha256` of its WAV bytes."""

    key: str
    condition: str
    sha256: str


@dataclass(frozen=True)
class Trial:
    """One clip in one block: the open reference and the rated signals (in the layout's order; the
    page shuffles them per listener). `stimuli` names the clip's file under stimuli/."""

    id: str
    clip: str
    clip_class: str
    block: int
    reference: Signal
    signals: tuple[Signal, ...]
    stimuli: str

    def condition(self, key: str) -> str | None:
        """The condition of the rated signal `key`, or None when the trial has none."""
        return next((s.condition for s in self.signals if s.key == key), None)


@dataclass(frozen=True)
class Layout:
    """A whole test: its id, the run it came from, the sample rate, the methods in their blocks, the
    trials (training first, not analysed), notes shown on the page, and the headline metrics of each
    (clip, method) from the run's records: {clip: {method: {metric: value}}}."""

    test_id: str
    run: str
    rate: int
    blocks: tuple[tuple[str, ...], ...]
    training: Trial
    trials: tuple[Trial, ...]
    notes: tuple[str, ...] = ()
    metrics: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(m for block in self.blocks for m in block)

    def trial(self, trial_id: str) -> Trial | None:
        return next((t for t in self.trials if t.id == trial_id), None)


def signal_key(trial_id: str, condition: str) -> str:
    """A short key that names no condition: 8 hex digits of a hash of the trial and the condition."""
    return hashlib.sha256(f"{trial_id}\0{condition}".encode()).hexdigest()[:8]


def test_id(blocks, training: Trial, trials, rate: int) -> str:
    """16 hex digits of the SHA-256 of the layout (blocks, trials, their signals' keys, conditions and
    WAV hashes, the rate): any change of a stimulus or of the layout gives another id."""
    content = {
        "rate": rate,
        "blocks": [list(b) for b in blocks],
        "trials": [asdict(t) for t in (training, *trials)],
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def to_json(layout: Layout) -> dict:
    return {"format": FORMAT, "version": VERSION, **asdict(layout)}


def _trial(d: dict) -> Trial:
    return Trial(
        d["id"],
        d["clip"],
        d["clip_class"],
        int(d["block"]),
        Signal(**d["reference"]),
        tuple(Signal(**s) for s in d["signals"]),
        d["stimuli"],
    )


def read_layout(folder: str | Path) -> Layout:
    """The layout of the test in `folder` (its test.json); `ListeningError` when it is not one."""
    path = Path(folder) / LAYOUT_FILE
    if not path.is_file():
        raise ListeningError(f"{folder} is not a listening test: no {LAYOUT_FILE} (make one with `listen`)")
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        if d.get("format") != FORMAT or d.get("version") != VERSION:
            raise ValueError(f"format {d.get('format')!r} version {d.get('version')!r}")
        layout = Layout(
            d["test_id"],
            d["run"],
            int(d["rate"]),
            tuple(tuple(b) for b in d["blocks"]),
            _trial(d["training"]),
            tuple(_trial(t) for t in d["trials"]),
            tuple(d["notes"]),
            d["metrics"],
        )
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ListeningError(
            f"{path} is damaged or of another version ({err}); rewrite it with `listen`"
        ) from err
    if test_id(layout.blocks, layout.training, layout.trials, layout.rate) != layout.test_id:
        raise ListeningError(f"{path} was edited: its content does not hash to its test id {layout.test_id}")
    _check_metrics(path, layout.metrics)
    return layout


def _check_metrics(path: Path, metrics) -> None:
    """The run's metric values kept in test.json ({clip: {method: {metric: number}}}; not part of the
    test id, which names what listeners heard) must be finite numbers: `ListeningError` otherwise."""
    import math

    ok = isinstance(metrics, dict) and all(
        isinstance(by_method, dict)
        and all(
            isinstance(values, dict)
            and all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in values.values()
            )
            for values in by_method.values()
        )
        for by_method in metrics.values()
    )
    if not ok:
        raise ListeningError(
            f"{path} is damaged: its metric values must be finite numbers by clip, method and metric; "
            "rewrite it with `listen`"
        )
