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
- Delay: one delay for the whole folder (`evals.running.align`): `--delay N` if given, else the lag
  that a majority of clips agree on with a strong correlation peak, else 0. A weak peak never shifts.

It runs on the same engine as `python -m evals run` (`evals.running.engine`): a first pass of
tasks reads each pair and returns its lag (small results: the delay consensus), a second reads it
again and scores it, a bounded window at a time (the driver loop of `run`: `evals.running.driver`);
records stream to clips.jsonl and the summary is rebuilt from them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from evals.run_folder import check_method_name
from evals.running.align import Delay, consensus
from evals.running.config import RunConfig
from evals.running.driver import drive
from evals.running.engine import choose_engine, open_client
from evals.running.inputs import AUDIO_SUFFIXES, ClipRef, RunError, check_metric_names, folder_audio
from evals.running.jobs import ClipJob, Record
from evals.running.run_info import RunInfo, write_run
from evals.running.runner import prepare_outdir
from evals.running.summarize import summarize
from evals.running.waves import Audio, Reconstruction


@dataclass(frozen=True)
class Folders:
    """What `score` scores: every estimate against the reference with its relative path.

    Attributes:
        reference_dir: the original audio. estimate_dir: the decoded audio, same relative paths.
        name: the method name in the records (None: `estimate_dir`'s folder name).
        delay: the codec's delay at 16 kHz (None: the consensus of strong correlation peaks, else 0).
    """

    reference_dir: Path
    estimate_dir: Path
    name: str | None = None
    delay: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "reference_dir", Path(self.reference_dir))
        object.__setattr__(self, "estimate_dir", Path(self.estimate_dir))

    @property
    def method(self) -> str:
        return self.name or self.estimate_dir.resolve().name


@dataclass(frozen=True)
class Pair:
    """One reference and its estimate (None when nothing pairs with it; `missing` then says so)."""

    clip: ClipRef
    estimate: str | None
    missing: str = ""


def audio_by_key(folder: Path) -> dict[str, Path]:
    """Relative path without extension (posix) -> file, for every audio file under `folder`."""
    if not folder.is_dir():
        raise RunError(f"not a folder: {folder}")
    return folder_audio(folder)


def _read_16k(path: Path) -> tuple[np.ndarray, int, int]:
    """(16 kHz mono float32 `[N]`, original rate, original channels)."""
    from codec.audio import to_mono_16k
    from codec.audio_files import read_audio
    from evals.running.inputs import check_wav_complete

    check_wav_complete(path)
    wave, rate = read_audio(path)
    return to_mono_16k(wave, rate), rate, wave.shape[0]


def read_estimate(reference: Audio, pair: Pair) -> tuple[Reconstruction, dict]:
    """(worker) The estimate as `reconstruct_task` would give it, cut or zero-padded to the reference's
    length `[N]`, and the pair's notes (how it was read, its lag; {} when it could not be read)."""
    from codec.audio import fit_length
    from evals.running.align import estimate_lag

    if not reference.ok:
        return Reconstruction.failed(reference.error), {}
    if pair.estimate is None:
        return Reconstruction.failed(pair.missing), {}
    try:
        est, est_rate, channels = _read_16k(Path(pair.estimate))
    except Exception as err:  # noqa: BLE001 - counted as an error record
        return Reconstruction.failed(f"estimate unreadable: {type(err).__name__}: {err}"), {}
    ref = reference.wave
    notes = {
        "estimate_path": pair.estimate,
        "estimate_rate": est_rate,
        "estimate_channels": channels,
        "length_difference_samples": len(est) - len(ref),
        "lag": estimate_lag(est, ref.astype(np.float64)),
    }
    return Reconstruction(fit_length(est, len(ref))), notes


def notes_task(pair: Pair) -> dict:
    """(worker) Pass 1: the pair's notes and lag only; the audio is read again when scored."""
    try:
        wave, rate, _ = _read_16k(Path(pair.clip.path))
    except Exception as err:  # noqa: BLE001 - pass 2 records the failure
        return {"reference_error": f"{type(err).__name__}: {err}"}
    notes = read_estimate(Audio(wave), pair)[1]
    return {**notes, "reference_rate": rate} if notes else notes


def pair_task(pair: Pair, job: ClipJob, config: RunConfig) -> Record:
    """(worker) Pass 2: read both sides, score, return the record."""
    from evals.running.worker import read_task, score_task

    reference = read_task(pair.clip, config)
    return score_task(read_estimate(reference, pair)[0], 0, reference, job, config)


def score_folders(config: RunConfig, folders: Folders) -> dict:
    """Scores every estimate in `folders` against its reference and writes the run folder
    `config.outdir` (its inputs, methods, weights and device are set here); returns the summary."""
    reference_dir, estimate_dir = folders.reference_dir, folders.estimate_dir
    names = check_metric_names(config.metrics)
    check_method_name(folders.method)
    references, estimates = audio_by_key(reference_dir), audio_by_key(estimate_dir)
    if not references:
        raise RunError(f"no audio files ({', '.join(sorted(AUDIO_SUFFIXES))}) under {reference_dir}")
    if not set(references) & set(estimates):
        raise RunError(
            f"no file under {estimate_dir} pairs with one under {reference_dir} "
            f"(pairs share their relative path without the extension)"
        )
    config = replace(
        config,
        inputs=(str(reference_dir), str(estimate_dir)),
        methods=(folders.method,),
        weights=None,
        device="cpu",
        resume=False,
        metrics=names,
    )
    with prepare_outdir(config, resumable=False):
        pairs = [
            Pair(
                ClipRef(key, str(references[key])),
                str(estimates[key]) if key in estimates else None,
                f"no estimate: nothing under {estimate_dir} pairs with {key!r}",
            )
            for key in sorted(references)
        ]
        engine = choose_engine(len(pairs), config.scheduler, config.scheduler_file, config.engine)
        with open_client(engine, config.jobs, config.scheduler, config.scheduler_file) as client:
            notes = client.gather(client.map(notes_task, pairs, pure=False))
            lags = [n["lag"] for n in notes if "lag" in n]
            delay = (
                Delay(int(folders.delay), "given", "--delay")
                if folders.delay is not None
                else consensus(lags)
            )
            unmatched = sorted(set(estimates) - set(references))
            info = {
                "description": f"outputs decoded elsewhere, read from {estimate_dir}",
                "needs": [],
                "params": {},
                "status": "ran",
                "source": "external",
                "estimate_dir": str(estimate_dir),
                "reference_dir": str(reference_dir),
                "delay": delay.to_json(),
                "unmatched_estimates": [str(estimates[k]) for k in unmatched],
            }
            write_run(
                config.outdir, RunInfo.create(config, [p.clip for p in pairs], engine, {folders.method: info})
            )
            units = [
                (
                    pair,
                    ClipJob(
                        pair.clip,
                        folders.method,
                        None,
                        delay.samples,
                        {k: v for k, v in note.items() if k not in ("lag", "reference_error")},
                    ),
                )
                for pair, note in zip(pairs, notes)
            ]
            drive(
                client,
                config,
                units,
                lambda unit: [(client.submit(pair_task, *unit, config, pure=False), unit[1])],
                len(units),
            )
        return summarize(config.outdir)
