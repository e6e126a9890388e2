"""`python -m evals score REFERENCE_DIR ESTIMATE_DIR -o RUN`: score outputs decoded elsewhere.

Any codec (EnCodec, DAC, your own) decoded outside this harness is scored like a method: the same
records, summary, report page, and `compare` against any other run.

Pairing and handling, in order:
- Files pair by relative path without the extension (`a/x.flac` pairs `a/x.wav`). Two files with
  the same path and different extensions on one side are an error (ambiguous).
- A reference with no estimate is an error record ("no estimate"), counted like any failure. An
  estimate with no reference is listed in `summary.json` (`unmatched_estimates`) and printed;
  it is not scored.
- Both sides are read as any file the codec reads: channels averaged to mono, resampled to 16 kHz
  with soxr (so other sample rates are fine, and each record says what it was).
- Lengths: the estimate is cut to the reference's length, or padded with zeros to it, so a codec
  that drops the tail is scored on the missing tail too. The difference is in each record
  (`length_difference_samples`, at 16 kHz).
- Delay: one delay for the whole folder (`evals.running.align`): `--delay N` if given, else the lag that
  a majority of clips agree on with a strong correlation peak, else 0. A weak peak never shifts.

It runs on the same engine as `python -m evals run` (`evals.running.engine`): a first pass of
tasks reads each pair and returns its lag (small results: the delay consensus), a second reads it
again and scores it, a bounded window at a time; records stream to clips.jsonl and the summary is rebuilt from them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from evals.run_folder import write_atomic
from evals.running.align import Delay, consensus
from evals.running.engine import choose_engine, open_client, worker_count
from evals.running.inputs import AUDIO_SUFFIXES, ClipRef, RunError, check_metric_names
from evals.running.records import RecordLog
from evals.running.runner import WINDOW_PER_WORKER, prepare_outdir, progress_bar
from evals.running.summarize import RUN_JSON, summarize


def audio_by_key(folder: Path) -> dict[str, Path]:
    """Relative path without extension (posix) -> file, for every audio file under `folder`."""
    if not folder.is_dir():
        raise RunError(f"not a folder: {folder}")
    found: dict[str, Path] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES):
        key = path.relative_to(folder).with_suffix("").as_posix()
        if key in found:
            raise RunError(f"ambiguous: {found[key]} and {path} both pair as {key!r}; keep one per name")
        found[key] = path
    return found


def _read_16k(path: Path) -> tuple[np.ndarray, int, int]:
    """(16 kHz mono float32 `[N]`, original rate, original channels)."""
    from codec.audio import to_mono_16k
    from codec.audio_files import read_audio

    wave, rate = read_audio(path)
    return to_mono_16k(wave, rate), rate, wave.shape[0]


def _fit_length(estimate: np.ndarray, length: int) -> np.ndarray:
    """`estimate` cut to, or zero-padded to, `length` samples."""
    return np.pad(estimate[:length], (0, max(0, length - len(estimate))))


def estimate_task(reference: dict, estimate_path: str | None, missing: str) -> dict:
    """(worker) The estimate as `reconstruct_task` would give it, fitted to the reference, plus notes."""
    if reference["wave"] is None:
        return {"wave": None, "error": reference["error"], "seconds": 0.0, "bytes": None, "notes": {}}
    if estimate_path is None:
        return {"wave": None, "error": missing, "seconds": 0.0, "bytes": None, "notes": {}}
    from evals.running.align import estimate_lag

    try:
        est, est_rate, channels = _read_16k(Path(estimate_path))
    except Exception as err:  # noqa: BLE001 - counted as an error record
        return {"wave": None, "error": f"estimate unreadable: {type(err).__name__}: {err}", "seconds": 0.0,
                "bytes": None, "notes": {}}
    ref = reference["wave"]
    notes = {"estimate_path": estimate_path, "estimate_rate": est_rate, "estimate_channels": channels,
             "length_difference_samples": len(est) - len(ref),
             "lag": estimate_lag(est, ref.astype(np.float64))}
    return {"wave": _fit_length(est, len(ref)), "error": "", "seconds": 0.0, "bytes": None, "notes": notes}


def notes_task(reference_path: str, estimate_path: str | None, missing: str) -> dict:
    """(worker) Pass 1: the pair's notes and lag only; the audio is read again when scored."""
    try:
        wave, rate, _ = _read_16k(Path(reference_path))
    except Exception as err:  # noqa: BLE001 - pass 2 records the failure
        return {"reference_error": f"{type(err).__name__}: {err}"}
    notes = estimate_task({"wave": wave, "error": ""}, estimate_path, missing)["notes"]
    return {**notes, "reference_rate": rate} if notes else notes


def pair_task(reference_path: str, clip_id: str, estimate_path: str | None, missing: str, base: dict, delay: int,
              names, outdir: str, save_audio: bool, report: bool) -> dict:
    """(worker) Pass 2: read both sides, score, return the record."""
    from evals.running.worker import read_task, score_task

    ref = read_task(reference_path, clip_id, outdir if save_audio else None)
    return score_task(estimate_task(ref, estimate_path, missing), 0, ref, base, delay, names, outdir,
                      save_audio, report)


def score_folders(reference_dir: str | Path, estimate_dir: str | Path, outdir: str | Path, *,
                  name: str | None = None, delay: int | None = None, jobs: int | None = None,
                  metrics: list[str] | None = None, save_audio: bool = True, force: bool = False,
                  progress: bool = True, report: bool = False, argv: list[str] | None = None,
                  engine: str | None = None, scheduler: str | None = None,
                  scheduler_file: str | None = None) -> dict:
    """Scores every estimate against its reference and writes a run folder; returns the summary."""
    from distributed import as_completed

    reference_dir, estimate_dir, outdir = Path(reference_dir), Path(estimate_dir), Path(outdir)
    names = check_metric_names(metrics)
    references, estimates = audio_by_key(reference_dir), audio_by_key(estimate_dir)
    if not references:
        raise RunError(f"no audio files ({', '.join(sorted(AUDIO_SUFFIXES))}) under {reference_dir}")
    matched = sorted(set(references) & set(estimates))
    if not matched:
        raise RunError(f"no file under {estimate_dir} pairs with one under {reference_dir} "
                       f"(pairs share their relative path without the extension)")
    prepare_outdir(outdir, force, resume=False)
    method = name or estimate_dir.resolve().name
    keys = sorted(references)
    clips = [ClipRef(key.replace("/", "__"), str(references[key])) for key in keys]
    chosen_engine = choose_engine(len(clips), scheduler, scheduler_file, engine)
    missing = {key: f"no estimate: nothing under {estimate_dir} pairs with {key!r}" for key in keys}
    est_paths = {key: str(estimates[key]) if key in estimates else None for key in keys}
    with open_client(chosen_engine, jobs, scheduler, scheduler_file) as client:
        notes = client.gather(client.map(notes_task, [c.path for c in clips], [est_paths[k] for k in keys],
                                         [missing[k] for k in keys], pure=False))
        lags = [n["lag"] for n in notes if "lag" in n]
        chosen = Delay(int(delay), "given", "--delay") if delay is not None else consensus(lags)
        unmatched = sorted(set(estimates) - set(references))
        info = {"description": f"outputs decoded elsewhere, read from {estimate_dir}", "needs": [], "params": {},
                "status": "ran", "source": "external", "estimate_dir": str(estimate_dir),
                "reference_dir": str(reference_dir), "delay": chosen.to_json(),
                "unmatched_estimates": [str(estimates[k]) for k in unmatched]}
        run_info = {"schema": 2, "inputs": [str(reference_dir), str(estimate_dir)], "methods": [method],
                    "weights": None, "metrics": list(names) if names else None, "device": "cpu",
                    "engine": chosen_engine, "report": report, "save_audio": save_audio,
                    "command": argv or sys.argv, "clips": [{"id": c.id, "path": c.path} for c in clips],
                    "infos": {method: info}}
        write_atomic(outdir / RUN_JSON, json.dumps(run_info, indent=1) + "\n")
        bar = progress_bar(len(clips), progress)
        pending = list(zip(keys, clips, notes))[::-1]
        flying = as_completed()
        window = WINDOW_PER_WORKER * max(1, worker_count(client))

        def submit_next() -> None:
            key, clip, note = pending.pop()
            base = {"clip": clip.id, "path": clip.path, "method": method, "weights_sha256": None,
                    **{k: v for k, v in note.items() if k not in ("lag", "reference_error")}}
            flying.add(client.submit(pair_task, clip.path, clip.id, est_paths[key], missing[key], base,
                                     chosen.samples, names, str(outdir), save_audio, report, pure=False))

        while pending and flying.count() < window:
            submit_next()
        with RecordLog(outdir / "clips.jsonl") as log:
            for future in flying:  # pass 2, a bounded window in flight
                log.append(future.result())
                bar.update()
                future.release()
                while pending and flying.count() < window:
                    submit_next()
        bar.close()
    return summarize(outdir)
