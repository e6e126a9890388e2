"""A run folder -> a test's stimuli: for each clip, the reference, its two anchors and each chosen
method's reconstruction as 16-bit WAV bytes, and the `Layout` that puts them into trials.

Every signal of a clip is scaled by one gain (the clip's loudest peak to at most `PEAK`), so their
levels stay as the run made them and none clips in 16 bits. A reconstruction longer or shorter than
its reference is cut or padded with silence to the reference's length.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.listening import anchors
from evals.listening.layout import (
    FIXED,
    HIDDEN,
    MAX_RATED,
    REFERENCE,
    TRAINING,
    Layout,
    ListeningError,
    Signal,
    Trial,
    signal_key,
    test_id,
)

PEAK = 0.98
METHODS_PER_BLOCK = MAX_RATED - len(FIXED)


@dataclass(frozen=True)
class Stimuli:
    """A test's layout and its audio: {stimuli file name: {sha256: WAV bytes}}."""

    layout: Layout
    audio: dict[str, dict[str, bytes]]


def clip_class(clip: str, known: dict[str, str]) -> str:
    """The golden set's class of `clip`, else the id's prefix before its first '_' (the id itself when
    it has none)."""
    return known.get(clip) or clip.split("_", 1)[0]


def wav_bytes(audio: np.ndarray, rate: int) -> bytes:
    """16-bit PCM WAV of `audio` (mono, already within [-1, 1])."""
    import soundfile as sf

    out = io.BytesIO()
    sf.write(out, np.clip(audio, -1.0, 1.0), rate, format="WAV", subtype="PCM_16")
    return out.getvalue()


def _read(path: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    audio, rate = sf.read(path, dtype="float64", always_2d=True)
    return audio.mean(axis=1), int(rate)


def _fit(audio: np.ndarray, length: int) -> np.ndarray:
    return audio[:length] if audio.size >= length else np.pad(audio, (0, length - audio.size))


def choose(records: list[dict], methods: list[str] | None, asked: list[str] = ()) -> list[str]:
    """The methods to test: `methods` as given (each must have run), else every method of the run that
    has an ok record, in the order the run was asked for (`asked`, from run.json), then the others."""
    ok = {r["method"] for r in records if r.get("status") == "ok"}
    ran = [m for m in dict.fromkeys([*asked, *(r["method"] for r in records)]) if m in ok]
    if not methods:
        if not ran:
            raise ListeningError("the run holds no ok record of any method: nothing to listen to")
        return ran
    unknown = [m for m in methods if m not in ran]
    if unknown:
        raise ListeningError(
            f"method(s) {', '.join(unknown)} have no ok record in the run; "
            f"it holds {', '.join(ran) or 'none'}"
        )
    clash = [m for m in methods if m in (*FIXED, REFERENCE)]
    if clash:
        raise ListeningError(f"method name(s) {', '.join(clash)} are the test's own condition names")
    return list(dict.fromkeys(methods))


def _asked(run_dir) -> list[str]:
    """The methods run.json says the run was asked for ([] when it has none)."""
    import json

    from evals.run_folder import run_file

    try:
        asked = json.loads(run_file(run_dir).read_text(encoding="utf-8")).get("methods")
    except (OSError, ValueError, AttributeError):
        return []
    return [m for m in asked if isinstance(m, str)] if isinstance(asked, list) else []


def build(run_dir: str | Path, methods: list[str] | None = None) -> Stimuli:
    """The stimuli and layout of a test of `methods` (default: all that ran) over every clip of the run
    that has the reference and an ok reconstruction of each method saved; `ListeningError` when none."""
    from evals.gating.golden_set import clip_classes
    from evals.metrics import headline_metrics
    from evals.records import read_records
    from evals.run_folder import records_file

    if not records_file(run_dir).is_file():
        raise ListeningError(f"{run_dir} is not a run folder (no clips.jsonl)")
    records = read_records(run_dir)
    methods = choose(records, methods, _asked(run_dir))
    index = {(r["method"], r["clip"]): r for r in records if r.get("status") == "ok"}
    usable, left_out = _usable(run_dir, records, methods, index)
    known, headline = clip_classes(), headline_metrics()
    blocks = tuple(
        tuple(methods[i : i + METHODS_PER_BLOCK]) for i in range(0, len(methods), METHODS_PER_BLOCK)
    )
    audio: dict[str, dict[str, bytes]] = {}
    shas: dict[str, dict[str, str]] = {}
    metrics: dict[str, dict[str, dict[str, float]]] = {}
    rate = None
    for number, clip in enumerate(usable, 1):
        delays = {m: index[(m, clip)].get("delay_samples") or 0 for m in methods}
        wavs, clip_rate = clip_wavs(run_dir, clip, methods, delays)
        if rate is not None and clip_rate != rate:
            raise ListeningError(f"clip {clip} is at {clip_rate} Hz, the others at {rate} Hz")
        rate = clip_rate
        shas[clip] = {condition: hashlib.sha256(data).hexdigest() for condition, data in wavs.items()}
        audio[f"c{number:02d}"] = {shas[clip][condition]: data for condition, data in wavs.items()}
        metrics[clip] = {m: _headline(index[(m, clip)], headline) for m in methods}
    trials = []
    for block_number, block in enumerate(blocks, 1):
        for number, clip in enumerate(usable, 1):
            trial_id = f"t{len(trials) + 1:02d}"
            trials.append(
                _trial(trial_id, clip, clip_class(clip, known), block_number, block, shas[clip], number)
            )
    first = trials[0]
    training = _trial(TRAINING, first.clip, first.clip_class, 0, blocks[0][:1], shas[first.clip], 1)
    layout = Layout(
        test_id(blocks, training, tuple(trials), rate),
        str(Path(run_dir).resolve()),
        rate,
        blocks,
        training,
        tuple(trials),
        _notes(blocks, left_out, rate),
        metrics,
    )
    return Stimuli(layout, audio)


def _usable(run_dir, records: list[dict], methods: list[str], index: dict) -> tuple[list[str], list[str]]:
    """The run's clips split into those with the reference and every method's ok, saved audio, and the
    others; `ListeningError` when none is usable."""
    from evals.run_folder import REFERENCE as REFERENCE_FOLDER
    from evals.run_folder import audio_path

    usable, left_out = [], []
    for clip in dict.fromkeys(r["clip"] for r in records):
        paths = [audio_path(run_dir, m, clip) for m in (REFERENCE_FOLDER, *methods)]
        ok = all((m, clip) in index for m in methods) and all(p.is_file() for p in paths)
        (usable if ok else left_out).append(clip)
    if not usable:
        raise ListeningError(
            f"no clip of {run_dir} has its reference and every chosen method's audio saved (was it run "
            "with --no-audio, or did a method fail?); choose methods with -m"
        )
    return usable, left_out


def clip_wavs(
    run_dir, clip: str, methods: list[str], delays: dict[str, int] | None = None
) -> tuple[dict[str, bytes], int]:
    """One clip's signals as 16-bit WAV bytes, by condition (`REFERENCE`, the anchors' roles, each
    method), all scaled by one gain; and the sample rate.

    A method's saved output is its decoder's whole output: a codec with a start-up delay (MP3 1105
    samples, AAC 1024 at 16 kHz) is late against the reference. Each is shifted back by its record's
    delay (`delays`, the run's one delay per method, `evals.running.align`) before it is cut or padded
    to the reference's length, so that switching signals in a trial does not jump in time."""
    from evals.run_folder import REFERENCE as REFERENCE_FOLDER
    from evals.run_folder import audio_path

    reference, rate = _read(audio_path(run_dir, REFERENCE_FOLDER, clip))
    signals = {REFERENCE: reference}
    signals.update({a.role: anchors.apply(a, reference, rate) for a in anchors.ANCHORS})
    for m in methods:
        decoded, method_rate = _read(audio_path(run_dir, m, clip))
        if method_rate != rate:
            raise ListeningError(f"{m} / {clip} is at {method_rate} Hz, its reference at {rate} Hz")
        delay = (delays or {}).get(m, 0)
        aligned = decoded[delay:] if delay >= 0 else np.concatenate([np.zeros(-delay), decoded])
        signals[m] = _fit(aligned, reference.size)
    peak = max(float(np.max(np.abs(s))) for s in signals.values()) or 1.0
    gain = min(1.0, PEAK / peak)
    return {condition: wav_bytes(samples * gain, rate) for condition, samples in signals.items()}, rate


def _headline(record: dict, headline: list[str]) -> dict[str, float]:
    """The record's ok headline metric values, by name."""
    return {
        name: value["value"]
        for name, value in record["metrics"].items()
        if name in headline and value.get("status") == "ok" and value.get("value") is not None
    }


def _trial(trial_id, clip, clip_class_, block, methods, shas, number) -> Trial:
    conditions = (*FIXED, *methods)
    reference = Signal(signal_key(trial_id, REFERENCE), REFERENCE, shas[REFERENCE])
    signals = tuple(
        Signal(signal_key(trial_id, c), c, shas[REFERENCE if c == HIDDEN else c]) for c in conditions
    )
    return Trial(trial_id, clip, clip_class_, block, reference, signals, f"c{number:02d}")


def _notes(blocks, left_out: list[str], rate: int) -> tuple[str, ...]:
    notes = []
    if len(blocks) > 1:
        notes.append(
            f"The {sum(map(len, blocks))} methods are split into {len(blocks)} blocks of at most "
            f"{METHODS_PER_BLOCK} (at most {MAX_RATED} signals per trial): each clip comes once per block."
        )
    if anchors.MID.nearly_transparent(rate):
        notes.append(
            f"The audio is sampled at {rate / 1000:g} kHz (its band ends at {rate / 2000:g} kHz), so the "
            "7 kHz anchor removes little and may sound nearly like the reference: rate what you hear."
        )
    if left_out:
        notes.append(
            f"{len(left_out)} clip(s) of the run are left out (no saved audio or no ok record of every "
            f"method): {', '.join(left_out)}."
        )
    return tuple(notes)
