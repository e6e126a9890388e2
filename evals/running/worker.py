"""Stages 2 and 3, reconstruct and score: the functions Dask runs on workers.

Audio stays on the workers: a read task returns the reference (`Audio`, `[N]`), a reconstruct task
takes it and returns the output (`Reconstruction`), a score task takes both and returns the `Record`
(small) for the driver to write. Audio files and figures are written by the score task, atomically.

Models load once per worker: `load_method` keeps every built method in a per-process cache
(guarded by a lock, since the in-process engine runs tasks in threads).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from evals.result import MetricResult
from evals.run_folder import REFERENCE, attempts_dir, audio_path, figure_path
from evals.running.config import MethodKey, RunConfig
from evals.running.engine import MAX_DEATHS
from evals.running.inputs import ClipRef
from evals.running.jobs import ClipJob, Record
from evals.running.scoring import Scores, failed_scores, score_pair
from evals.running.waves import Audio, Reconstruction

_CACHE: dict[tuple, tuple] = {}
_LOCK = threading.Lock()
_SETUP_DONE = False
_FIGURE_LOCK = threading.Lock()


def _setup(plugins: tuple[str, ...]) -> None:
    """Once per worker process: one torch thread (local workers), no per-model progress bars from
    diffusers/transformers (a worker's stderr is the user's terminal), and the plugin modules imported."""
    global _SETUP_DONE
    import os

    if not _SETUP_DONE:
        from codec.loading import quiet_model_libraries

        quiet_model_libraries()
        if os.environ.get("OMP_NUM_THREADS") == "1":
            import torch

            torch.set_num_threads(1)
    _SETUP_DONE = True
    for module in plugins:
        importlib.import_module(module)


def build_method(key: MethodKey):
    """(reconstruct, info) or (None, info with the skip reason)."""
    from codec.constants import DEFAULT_MODEL
    from codec.errors import CodecError
    from codec.loading import resolve_weights
    from evals.methods import METHODS, parse_method
    from evals.provenance import weights_fingerprint

    name, params = parse_method(key.spec)
    method = METHODS[name]
    info = {
        "description": method.description,
        "needs": list(method.needs),
        "params": {**method.params, **params},
    }
    root = None
    if method.needs:
        source = key.weights or DEFAULT_MODEL
        try:
            root = resolve_weights(source, method.needs)
        except CodecError as err:
            first = str(err).split(". Looked at")[0]
            return None, {
                **info,
                "status": "skipped",
                "detail": str(err).split(" To provide them")[0],
                "reason": f"{first}; pass --weights ID_OR_PATH (summary.json has where it looked)",
            }
        info.update(model_id=source, weights_sha256=weights_fingerprint(root, method.needs))
    start = time.perf_counter()
    try:
        reconstruct = method.build(root, key.device, **info["params"])
    except CodecError as err:
        return None, {**info, "status": "skipped", "reason": str(err)}
    return reconstruct, {**info, "status": "ran", "load_seconds": time.perf_counter() - start}


def load_method(key: MethodKey):
    """`build_method`, once per key in this worker process (the key's plugins imported first)."""
    _setup(key.plugins)
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = build_method(key)
        return _CACHE[key]


def method_delay(spec: str, reconstruct):
    """The method's declared delay, or the one its output shows on the calibration signal."""
    from evals.methods import METHODS, parse_method
    from evals.running.align import Delay, calibrate

    declared = METHODS[parse_method(spec)[0]].delay
    if declared is not None:
        return Delay(declared, "declared", "frame-aligned by construction" if declared == 0 else "")
    try:
        return calibrate(reconstruct)
    except Exception as err:  # noqa: BLE001 - said in the summary; the clips are still scored
        return Delay(0, "none found", f"calibration failed ({type(err).__name__}: {err}): no shift")


def probe_task(key: MethodKey) -> dict:
    """The method's info (status, skip reason, load time, weights sha256) and, if it ran, its delay."""
    reconstruct, info = load_method(key)
    info = dict(info)
    if reconstruct is not None:
        info["delay"] = method_delay(key.spec, reconstruct).to_json()
    return info


def read_task(clip: ClipRef, config: RunConfig) -> Audio:
    """The clip as 16 kHz mono `[N]` float32 (or why not); writes audio/reference/ID.wav when
    `config.save_audio`."""
    from evals.running.inputs import file_sha256, read_reference

    try:
        digest = file_sha256(clip.path)
        wave = read_reference(clip.path)
    except Exception as err:  # noqa: BLE001 - every method's record of this clip says why
        return Audio(None, f"input unreadable: {type(err).__name__}: {err}")
    if config.save_audio:
        _save_wave(audio_path(config.outdir, REFERENCE, clip.id), wave)
    return Audio(wave, sha256=digest)


@contextlib.contextmanager
def death_count(attempts: Path | None):
    """Yields how many times a start of the running task died before finishing (kept in `attempts`).

    Each start marks the task running and a finished one clears the mark, so a start that finds
    the mark set knows the previous one died with its worker. Only the task that was running is
    charged (Dask's own count also charges every task queued on the dead worker), and a task
    recomputed because a worker lost its finished result is not. 0 without an `attempts` folder or
    outside a Dask worker.
    """
    path = None
    if attempts:
        try:
            from distributed import get_worker

            key = str(get_worker().get_current_task())
            path = Path(attempts) / "".join(c if c.isalnum() or c in "-_" else "_" for c in key)
        except (ImportError, ValueError):
            path = None
    if path is None:
        yield 0
        return
    state = json.loads(path.read_text()) if path.exists() else {"deaths": 0, "running": False}
    state = {"deaths": state["deaths"] + state["running"], "running": True}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state))
    yield state["deaths"]
    path.write_text(json.dumps({**state, "running": False}))


def _given_up(deaths: int, what: str) -> str:
    """The reason of a record whose task was given up after `deaths`; `what` ran ("this clip", ...)."""
    return (
        f"worker died {deaths} times running {what} (each start of the task died before it finished); "
        "given up, the run went on"
    )


def reconstruct_task(
    key: MethodKey, references: list[Audio], attempts: Path | None = None
) -> list[Reconstruction]:
    """A batch of clips through one method, in order.

    The model is loaded once per worker; the batch's clips go through it one model call each. A
    task whose worker died `engine.MAX_DEATHS` times while running it (counted in `attempts`)
    returns failures instead.
    """
    with death_count(attempts) as deaths:
        if deaths >= MAX_DEATHS:
            return [Reconstruction.failed(_given_up(deaths, "this clip")) for _ in references]
        return _reconstruct_batch(key, references)


def _reconstruct_batch(key: MethodKey, references: list[Audio]) -> list[Reconstruction]:
    reconstruct, info = load_method(key)
    out = []
    for ref in references:
        if not ref.ok:
            out.append(Reconstruction.failed(ref.error))
        elif reconstruct is None:
            out.append(Reconstruction.failed(f"method skipped: {info.get('reason')}"))
        else:
            out.append(_reconstruct_one(reconstruct, ref.wave))
    return out


def _reconstruct_one(reconstruct, wave: np.ndarray) -> Reconstruction:
    """`reconstruct` on one reference `[N]`: the output `[M]` float32, timed, or the failure."""
    from evals.methods import Coded

    start = time.perf_counter()
    try:
        output = reconstruct(wave)
        coded = output if isinstance(output, Coded) else None
        if coded is not None:
            output = coded.wave
        return Reconstruction(
            np.asarray(output, dtype=np.float32),
            seconds=time.perf_counter() - start,
            bytes=coded.num_bytes if coded else None,
            payload_bytes=coded.payload_bytes if coded else None,
            nominal_kbps=coded.nominal_kbps if coded else None,
        )
    except Exception as err:  # noqa: BLE001 - counted as an error record
        return Reconstruction(
            None, f"reconstruction failed: {type(err).__name__}: {err}", seconds=time.perf_counter() - start
        )


def score_task(
    produced: list[Reconstruction] | Reconstruction,
    index: int,
    reference: Audio,
    job: ClipJob,
    config: RunConfig,
) -> Record:
    """The finished record of one (clip, method), scored with `config.metrics`; writes its audio
    (`config.save_audio`) and figure (`config.report`) into `config.outdir`.

    Args:
        produced: `reconstruct_task`'s list (then `index` picks the clip) or one reconstruction.
        reference: `read_task`'s result.
    """
    out = produced[index] if isinstance(produced, list) else produced
    with death_count(attempts_dir(config.outdir)) as deaths:
        if deaths >= MAX_DEATHS:
            out = replace(out, wave=None, error=_given_up(deaths, "this clip's metrics"))
        record = score_record(job, out, reference, config.metrics)
        if record.status == "ok":
            _save_outputs(config, record, out.wave, reference.wave)
        return record


def failed_record(job: ClipJob, reason: str, names: tuple[str, ...] | None) -> Record:
    """The record of a (clip, method) whose task never returned one: every metric an error with `reason`."""
    return _record(job, Reconstruction.failed(reason), 0.0, failed_scores(reason, names), reason)


def score_record(
    job: ClipJob, out: Reconstruction, reference: Audio, names: tuple[str, ...] | None
) -> Record:
    """The record of `out` against `reference` with the metrics `names` (None: all), or of the failure."""
    clip_seconds = len(reference.wave) / 16000 if reference.ok else 0.0
    if out.ok and reference.ok:
        record = _record(job, out, clip_seconds, score_pair(out.wave, reference.wave, job.delay, names), "")
    else:
        reason = out.error or reference.error or "no output"
        record = _record(job, out, clip_seconds, failed_scores(reason, names, job.delay), reason)
    return replace(record, sha256=reference.sha256 or None)


def _record(job: ClipJob, out: Reconstruction, clip_seconds: float, scores: Scores, reason: str) -> Record:
    """The record; ok when there is no `reason`."""
    size, payload = out.bytes, out.payload_bytes
    return Record(
        job=job,
        seconds=clip_seconds,
        status="error" if reason else "ok",
        reason=reason,
        reconstruct_seconds=out.seconds,
        container_bytes=size,
        kbps=_kbps(size, clip_seconds),
        payload_bytes=payload,
        payload_kbps=_kbps(payload, clip_seconds),
        nominal_kbps=out.nominal_kbps,
        bandwidth_hz=scores.bandwidth_hz,
        delay_samples=scores.delay_samples,
        lag_estimate=scores.lag_estimate,
        lag_peak=scores.lag_peak,
        lag_disagrees=scores.lag_disagrees,
        metrics=scores.metrics,
    )


def _kbps(num_bytes: int | None, clip_seconds: float) -> float | None:
    """kbit/s of `num_bytes` over the clip's length (None without bytes or length)."""
    return 8 * num_bytes / clip_seconds / 1000 if num_bytes and clip_seconds else None


def _save_outputs(config: RunConfig, record: Record, wave: np.ndarray, reference: np.ndarray) -> None:
    """The reconstruction's audio and figure, as `config` asks."""
    method, clip_id = record.job.method, record.job.clip.id
    if config.save_audio:
        _save_wave(audio_path(config.outdir, method, clip_id), wave)
    if config.report:
        _save_figure(figure_path(config.outdir, method, clip_id), wave, reference, record)


def _save_wave(path: Path, wave: np.ndarray) -> None:
    """`wave` `[N]` as a 16 kHz float WAV at `path`."""
    from codec.audio_files import write_audio

    path.parent.mkdir(parents=True, exist_ok=True)
    write_audio(path, wave, 16000, force=True)


def _save_figure(path: Path, wave: np.ndarray, reference: np.ndarray, record: Record) -> None:
    """The clip's figure at `path` (figures/METHOD/ID.png), written to a temporary name and renamed
    (pyplot is not thread-safe: locked). It shows the pair the aligned metrics saw: the output `[M]`
    shifted back by the method's delay and both cut to their common length (a codec's output may be
    longer than its input: a real codec's start-up delay, or whole frames); none when no overlap is
    left (the record's aligned metrics say "no overlap" then)."""
    import os

    from evals.reports.figures import clip_figure
    from evals.running.align import shift

    wave, reference = shift(wave, reference, record.delay_samples or 0)
    if not len(wave):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    retention = {b: _value(record.metrics.get(f"band_retention_{b}")) for b in ("low", "mid", "high")}
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.png")
    with _FIGURE_LOCK:
        clip_figure(tmp, wave, reference, retention, f"{record.job.method}: {record.job.clip.id}")
    os.replace(tmp, path)


def _value(result: MetricResult | None) -> float | None:
    """A metric's value as recorded (None when missing or not ok)."""
    return None if result is None else result.to_json()["value"]
