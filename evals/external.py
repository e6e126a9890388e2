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
- Delay: one delay for the whole folder (`evals.align`): `--delay N` if given, else the lag that
  a majority of clips agree on with a strong correlation peak, else 0. A weak peak never shifts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .align import Delay, consensus, estimate_lag
from .runner import (
    AUDIO_SUFFIXES,
    Clip,
    RunError,
    check_metric_names,
    clip_figures,
    prepare_outdir,
    progress_bar,
    save_audio_files,
    score_outputs,
    write_run,
)


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


def score_folders(reference_dir: str | Path, estimate_dir: str | Path, outdir: str | Path, *,
                  name: str | None = None, delay: int | None = None, jobs: int | None = None,
                  metrics: list[str] | None = None, save_audio: bool = True, force: bool = False,
                  progress: bool = True, report: bool = False, argv: list[str] | None = None) -> dict:
    """Scores every estimate against its reference and writes a run folder; returns the summary."""
    import os

    reference_dir, estimate_dir, outdir = Path(reference_dir), Path(estimate_dir), Path(outdir)
    names = check_metric_names(metrics)
    references, estimates = audio_by_key(reference_dir), audio_by_key(estimate_dir)
    if not references:
        raise RunError(f"no audio files ({', '.join(sorted(AUDIO_SUFFIXES))}) under {reference_dir}")
    matched = sorted(set(references) & set(estimates))
    if not matched:
        raise RunError(f"no file under {estimate_dir} pairs with one under {reference_dir} "
                       f"(pairs share their relative path without the extension)")
    prepare_outdir(outdir, force)
    method = name or estimate_dir.resolve().name
    clips, outputs, notes = [], [], []
    for key in sorted(references):
        clip_id = key.replace("/", "__")
        try:
            ref, ref_rate, _ = _read_16k(references[key])
            clip = Clip(clip_id, references[key], ref)
        except Exception as err:  # noqa: BLE001 - counted as an error record
            clips.append(Clip(clip_id, references[key], None, f"{type(err).__name__}: {err}"))
            outputs.append(None)
            notes.append({})
            continue
        clips.append(clip)
        if key not in estimates:
            outputs.append(f"no estimate: nothing under {estimate_dir} pairs with {key!r}")
            notes.append({})
            continue
        try:
            est, est_rate, channels = _read_16k(estimates[key])
        except Exception as err:  # noqa: BLE001
            outputs.append(f"estimate unreadable: {type(err).__name__}: {err}")
            notes.append({})
            continue
        outputs.append(_fit_length(est, len(ref)))
        notes.append({"estimate_path": str(estimates[key]), "estimate_rate": est_rate,
                      "reference_rate": ref_rate, "estimate_channels": channels,
                      "length_difference_samples": len(est) - len(ref),
                      "lag": estimate_lag(est, ref.astype(np.float64))})
    lags = [n["lag"] for n in notes if "lag" in n]
    chosen = Delay(int(delay), "given", "--delay") if delay is not None else consensus(lags)
    bar = progress_bar(len(clips), progress)
    rows = score_outputs(method, clips, outputs, [0.0] * len(clips), [None] * len(clips), chosen.samples,
                         jobs or os.cpu_count() or 1, names, bar.update)
    bar.close()
    for row, note in zip(rows, notes):
        row.update({k: v for k, v in note.items() if k != "lag"})
    unmatched = sorted(set(estimates) - set(references))
    info = {"description": f"outputs decoded elsewhere, read from {estimate_dir}", "needs": [], "params": {},
            "status": "ran", "source": "external", "estimate_dir": str(estimate_dir),
            "reference_dir": str(reference_dir), "delay": chosen.to_json(),
            "unmatched_estimates": [str(estimates[k]) for k in unmatched]}
    if report:
        clip_figures(outdir, method, clips, outputs, rows)
    if save_audio:
        save_audio_files(outdir, method, clips, outputs)
        save_audio_files(outdir, "reference", clips, [c.reference for c in clips])
    return write_run(outdir, rows, {method: info}, clips, "cpu", argv, report, names)
