"""Stages 2 and 3, reconstruct and score: the functions Dask runs on workers.

Audio stays on the workers: a read task returns the reference `[N]`, a reconstruct task takes it
and returns the output, a score task takes both and returns the record (a small dict) for the
driver to write. Audio files and figures are written by the score task, atomically.

Models load once per worker: `load_method` keeps every built method in a per-process cache
(guarded by a lock, since the in-process engine runs tasks in threads).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import threading
import time
from pathlib import Path

import numpy as np

from evals.running.engine import MAX_DEATHS

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


def build_method(spec: str, weights: str | None, device: str):
    """(reconstruct, info) or (None, info with the skip reason); spec is `NAME[:key=value,...]`."""
    from codec.constants import DEFAULT_MODEL
    from codec.errors import CodecError
    from codec.loading import resolve_weights
    from evals.methods import METHODS, parse_method
    from evals.provenance import weights_fingerprint

    name, params = parse_method(spec)
    method = METHODS[name]
    info = {"description": method.description, "needs": list(method.needs),
            "params": {**method.params, **params}}
    root = None
    if method.needs:
        source = weights or DEFAULT_MODEL
        try:
            root = resolve_weights(source, method.needs)
        except CodecError as err:
            first = str(err).split(". Looked at")[0]
            return None, {**info, "status": "skipped", "detail": str(err).split(" To provide them")[0],
                          "reason": f"{first}; pass --weights ID_OR_PATH (summary.json has where it looked)"}
        info.update(model_id=source, weights_sha256=weights_fingerprint(root, method.needs))
    start = time.perf_counter()
    try:
        reconstruct = method.build(root, device, **info["params"])
    except CodecError as err:
        return None, {**info, "status": "skipped", "reason": str(err)}
    return reconstruct, {**info, "status": "ran", "load_seconds": time.perf_counter() - start}


def load_method(spec: str, weights: str | None, device: str, plugins: tuple[str, ...] = ()):
    """`build_method`, once per (spec, weights, device) in this worker process."""
    _setup(plugins)
    key = (spec, weights, device)
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = build_method(spec, weights, device)
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


def probe_task(spec: str, weights: str | None, device: str, plugins: tuple[str, ...]) -> dict:
    """The method's info (status, skip reason, load time, weights sha256) and, if it ran, its delay."""
    reconstruct, info = load_method(spec, weights, device, plugins)
    info = dict(info)
    if reconstruct is not None:
        info["delay"] = method_delay(spec, reconstruct).to_json()
    return info


def read_task(path: str, clip_id: str, outdir: str | None) -> dict:
    """`{"wave": [N] float32 | None, "error": str}`; writes audio/reference/ID.wav when `outdir`."""
    from evals.running.inputs import read_reference

    try:
        wave = read_reference(path)
    except Exception as err:  # noqa: BLE001 - every method's record of this clip says why
        return {"wave": None, "error": f"input unreadable: {type(err).__name__}: {err}"}
    if outdir:
        _save_wave(Path(outdir), "reference", clip_id, wave)
    return {"wave": wave, "error": ""}


@contextlib.contextmanager
def death_count(attempts_dir: str | None):
    """Yields how many times a start of the running task died before finishing (kept in `attempts_dir`).

    Each start marks the task running and a finished one clears the mark, so a start that finds
    the mark set knows the previous one died with its worker. Only the task that was running is
    charged (Dask's own count also charges every task queued on the dead worker), and a task
    recomputed because a worker lost its finished result is not. 0 without an `attempts_dir` or
    outside a Dask worker.
    """
    path = None
    if attempts_dir:
        try:
            from distributed import get_worker

            key = str(get_worker().get_current_task())
            path = Path(attempts_dir) / "".join(c if c.isalnum() or c in "-_" else "_" for c in key)
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


def _given_up(deaths: int) -> str:
    return (f"worker died {deaths} times running this clip (each start of the task died before it finished); "
            "given up, the run went on")


def reconstruct_task(spec: str, weights: str | None, device: str, plugins: tuple[str, ...],
                     references: list[dict], attempts_dir: str | None = None) -> list[dict]:
    """A batch of clips through one method: per clip `{"wave", "error", "seconds", "bytes"}`.

    The model is loaded once per worker; the batch's clips go through it one model call each. A
    task whose worker died `engine.MAX_DEATHS` times while running it returns errors instead.
    """
    with death_count(attempts_dir) as deaths:
        if deaths >= MAX_DEATHS:
            return [{"wave": None, "error": _given_up(deaths), "seconds": 0.0, "bytes": None} for _ in references]
        return _reconstruct_batch(spec, weights, device, plugins, references)


def _reconstruct_batch(spec: str, weights: str | None, device: str, plugins: tuple[str, ...],
                       references: list[dict]) -> list[dict]:
    from evals.methods import Coded

    reconstruct, info = load_method(spec, weights, device, plugins)
    out = []
    for ref in references:
        if ref["wave"] is None:
            out.append({"wave": None, "error": ref["error"], "seconds": 0.0, "bytes": None})
            continue
        if reconstruct is None:
            out.append({"wave": None, "error": f"method skipped: {info.get('reason')}", "seconds": 0.0,
                        "bytes": None})
            continue
        start = time.perf_counter()
        size = None
        try:
            wave = reconstruct(ref["wave"])
            if isinstance(wave, Coded):
                wave, size = wave.wave, wave.num_bytes
            result = {"wave": np.asarray(wave, dtype=np.float32), "error": ""}
        except Exception as err:  # noqa: BLE001 - counted as an error record
            result = {"wave": None, "error": f"reconstruction failed: {type(err).__name__}: {err}"}
        out.append({**result, "seconds": time.perf_counter() - start, "bytes": size})
    return out


def score_task(produced: list[dict] | dict, index: int, reference: dict, base: dict, delay: int,
               names: tuple[str, ...] | None, outdir: str | None, save_audio: bool, figure: bool,
               attempts_dir: str | None = None) -> dict:
    """The finished record of one (clip, method): `base` plus the scores (or the failure).

    Args:
        produced: `reconstruct_task`'s list (then `index` picks the clip) or one such dict.
        reference: `read_task`'s result.
        base: the record's identity fields (clip, path, method, seconds, weights_sha256, ...).
        delay: the method's delay in samples (`evals.running.align`).
    """
    out = produced[index] if isinstance(produced, list) else produced
    with death_count(attempts_dir) as deaths:
        if deaths >= MAX_DEATHS:
            out = {**out, "wave": None, "error": _given_up(deaths).replace("this clip", "this clip's metrics")}
        return score_record(out, reference, base, delay, names, outdir, save_audio, figure)


def failed_record(base: dict, reason: str, names: tuple[str, ...] | None) -> dict:
    """The record of a (clip, method) whose task never returned one: every metric an error with `reason`."""
    nothing = {"wave": None, "error": reason, "seconds": 0.0, "bytes": None}
    return score_record(nothing, {"wave": None, "error": ""}, base, None, names, None, False, False)


def score_record(out: dict, reference: dict, base: dict, delay: int | None, names, outdir, save_audio: bool,
                 figure: bool) -> dict:
    """`base` plus the scores of `out` against `reference` (or the failure); writes audio and figure."""
    from evals.running.scoring import failed_row, score_pair

    size, seconds = out.get("bytes"), out.get("seconds", 0.0)
    clip_seconds = 0.0 if reference["wave"] is None else len(reference["wave"]) / 16000
    ok = out["wave"] is not None and reference["wave"] is not None
    if ok:
        result = score_pair(out["wave"], reference["wave"], delay, names)
    else:
        result = failed_row(out["error"] or reference["error"], names, delay)
    record = {**base, "seconds": clip_seconds, "status": "ok" if ok else "error",
              "reason": "" if ok else (out["error"] or reference["error"]),
              "reconstruct_seconds": seconds, "container_bytes": size,
              "kbps": 8 * size / clip_seconds / 1000 if size and clip_seconds else None,
              "delay_samples": result["delay_samples"], "lag_estimate": result["lag_estimate"],
              "lag_peak": result["lag_peak"], "lag_disagrees": result["lag_disagrees"],
              "metrics": {name: value.to_json() for name, value in result["metrics"].items()}}
    if ok and outdir:
        if save_audio:
            _save_wave(Path(outdir), base["method"], base["clip"], out["wave"])
        if figure:
            _save_figure(Path(outdir), base["method"], base["clip"], out["wave"], reference["wave"], record)
    return record


def _save_wave(outdir: Path, method: str, clip_id: str, wave: np.ndarray) -> None:
    from codec.audio_files import write_audio
    from evals.run_folder import audio_path

    path = audio_path(outdir, method, clip_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_audio(path, wave, 16000, force=True)


def _save_figure(outdir: Path, method: str, clip_id: str, wave, reference, record: dict) -> None:
    """figures/METHOD/ID.png, written to a temporary name and renamed (pyplot is not thread-safe: locked)."""
    import os

    from evals.reports.figures import clip_figure
    from evals.run_folder import figure_path

    path = figure_path(outdir, method, clip_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    retention = {b: record["metrics"].get(f"band_retention_{b}", {}).get("value") for b in ("low", "mid", "high")}
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.png")
    with _FIGURE_LOCK:
        clip_figure(tmp, wave, reference, retention, f"{method}: {clip_id}")
    os.replace(tmp, path)
