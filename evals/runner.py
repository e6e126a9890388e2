"""`python -m evals run`: reconstruct every input with every method, score, and write the run.

    OUTDIR/clips.jsonl            one row per (clip, method): every metric with status and reason
    OUTDIR/summary.json           per method: aggregates, timings, model id + weights sha256;
                                  environment; the reports' baselines beside ours
    OUTDIR/summary.md             the same as tables
    OUTDIR/audio/reference/ID.wav the 16 kHz mono reference each metric saw
    OUTDIR/audio/METHOD/ID.wav    each reconstruction (16 kHz, float WAV), unless --no-audio
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .aggregate import aggregate
from .align import Delay, calibrate
from .baselines import compare_to_baselines
from .methods import METHODS, Coded, parse_method
from .registry import SAMPLE_RATE, all_metrics
from .result import MetricResult, error
from .scoring import score_many, scoring_pool

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".aif", ".aiff", ".au", ".w64"}
RUN_FILES = ("clips.jsonl", "summary.json", "summary.md")


@dataclass
class Clip:
    """One input: its 16 kHz mono reference at the original gain, or why it could not be read."""

    id: str
    path: Path
    reference: np.ndarray | None
    error: str = ""

    @property
    def seconds(self) -> float:
        return 0.0 if self.reference is None else len(self.reference) / SAMPLE_RATE


class RunError(Exception):
    """A problem with the run's arguments (inputs, methods, output folder)."""


def collect_inputs(inputs: list[str]) -> list[Path]:
    """Audio files named directly, plus every audio file under named folders, sorted."""
    found: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
        elif path.is_file():
            found.append(path)
        else:
            raise RunError(f"input not found: {item}")
    if not found:
        raise RunError(f"no audio files ({', '.join(sorted(AUDIO_SUFFIXES))}) in {inputs}")
    return found


def load_clips(paths: list[Path]) -> list[Clip]:
    """Reads and converts each input; an unreadable one becomes a Clip with its error."""
    from codec.audio import to_mono_16k
    from codec.audio_files import read_audio

    clips, seen = [], set()
    for path in paths:
        clip_id = path.stem
        while clip_id in seen:
            clip_id = f"{path.parent.name}__{clip_id}" if path.parent.name not in clip_id else clip_id + "_"
        seen.add(clip_id)
        try:
            wave, rate = read_audio(path)
            clips.append(Clip(clip_id, path, to_mono_16k(wave, rate)))
        except Exception as err:  # noqa: BLE001 - the clip is counted as an error, the run goes on
            clips.append(Clip(clip_id, path, None, f"{type(err).__name__}: {err}"))
    return clips


def prepare_outdir(outdir: Path, force: bool) -> None:
    if outdir.exists() and any((outdir / name).exists() for name in RUN_FILES) and not force:
        raise RunError(f"{outdir} already holds a run; pass --force to overwrite it, or pick another -o")
    outdir.mkdir(parents=True, exist_ok=True)


def write_atomic(path: Path, text: str) -> None:
    """`text` to `path` (UTF-8), replacing it atomically (`codec.atomic`)."""
    from codec.atomic import atomic_write

    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"), force=True)


def build_method(spec: str, weights: str | None, device: str):
    """(reconstruct, info) or (None, info with the skip reason); spec is `NAME[:key=value,...]`."""
    from codec.constants import DEFAULT_MODEL
    from codec.errors import CodecError
    from codec.loading import resolve_weights

    from .provenance import weights_fingerprint

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


def reconstruct_all(reconstruct, clips: list[Clip], tick) -> tuple[list, list[float], list[int | None]]:
    """Outputs (array, or the failure as text), seconds and container bytes (None if none) per clip."""
    outputs, seconds, sizes = [], [], []
    for clip in clips:
        size = None
        if clip.reference is None:
            outputs.append(None)
            seconds.append(0.0)
        else:
            start = time.perf_counter()
            try:
                out = reconstruct(clip.reference)
                if isinstance(out, Coded):
                    out, size = out.wave, out.num_bytes
                outputs.append(np.asarray(out, dtype=np.float32))
            except Exception as err:  # noqa: BLE001 - counted as an error row
                outputs.append(f"reconstruction failed: {type(err).__name__}: {err}")
            seconds.append(time.perf_counter() - start)
        sizes.append(size)
        tick()
    return outputs, seconds, sizes


def failed_row(reason: str, names: tuple[str, ...] | None = None, delay: int | None = None) -> dict:
    return {"delay_samples": delay, "lag_estimate": None, "lag_peak": None, "lag_disagrees": False,
            "metrics": {name: error(reason) for name in (names or tuple(all_metrics()))}}


def method_delay(spec: str, reconstruct) -> Delay:
    """The method's declared delay, or the one its output shows on the calibration signal."""
    declared = METHODS[parse_method(spec)[0]].delay
    if declared is not None:
        return Delay(declared, "declared", "frame-aligned by construction" if declared == 0 else "")
    try:
        return calibrate(reconstruct)
    except Exception as err:  # noqa: BLE001 - said in the summary; the clips are still scored
        return Delay(0, "none found", f"calibration failed ({type(err).__name__}: {err}): no shift")


def check_metric_names(names: list[str] | None) -> tuple[str, ...] | None:
    """The metric subset as a tuple (None: every metric); an unknown name is a RunError."""
    if not names:
        return None
    unknown = sorted(set(names) - set(all_metrics()))
    if unknown:
        raise RunError(f"unknown metric(s) {unknown}; `python -m evals metrics` lists them")
    return tuple(dict.fromkeys(names))


def run(inputs: list[str], methods: list[str], outdir: str | Path, *, weights: str | None = None,
        device: str = "cpu", save_audio: bool = True, force: bool = False, jobs: int | None = None,
        progress: bool = True, argv: list[str] | None = None, report: bool = False,
        metrics: list[str] | None = None) -> dict:
    """Runs the evaluation and writes the run folder; returns the summary dict.

    `report`: also write per-clip figures (figures/METHOD/ID.png) and report.html (see
    `evals.html_report`); the CLI turns it on, `--no-report` off. `metrics`: names to compute
    (default: every registered metric).
    """
    from codec.pipeline import resolve_device

    for spec in methods:
        try:
            parse_method(spec)
        except ValueError as err:
            raise RunError(str(err)) from err
    names = check_metric_names(metrics)
    outdir = Path(outdir)
    clips = load_clips(collect_inputs(inputs))
    prepare_outdir(outdir, force)
    device = str(resolve_device(device))
    jobs = jobs or os.cpu_count() or 1
    bar = progress_bar(len(clips) * len(methods) * 2, progress)
    rows, infos = [], {}
    pool = scoring_pool(jobs) if len(clips) > 1 else None
    try:
        for name in methods:
            reconstruct, info = build_method(name, weights, device)
            infos[name] = info
            if reconstruct is None:
                bar.update(2 * len(clips))
                continue
            delay = method_delay(name, reconstruct)
            info["delay"] = delay.to_json()
            outputs, seconds, sizes = reconstruct_all(reconstruct, clips, bar.update)
            rows += score_outputs(name, clips, outputs, seconds, sizes, delay.samples, jobs, names, bar.update,
                                  pool)
            info["timing"] = _timing(clips, outputs, seconds, info.get("load_seconds"))
            info["bitrate"] = _bitrate(clips, outputs, sizes)
            if report:
                clip_figures(outdir, name, clips, outputs, rows[-len(clips):])
            if save_audio:
                save_audio_files(outdir, name, clips, outputs)
    finally:
        if pool is not None:
            pool.shutdown()
    bar.close()
    if save_audio:
        save_audio_files(outdir, "reference", clips, [c.reference for c in clips])
    return write_run(outdir, rows, infos, clips, device, argv, report, names)


def score_outputs(name: str, clips: list[Clip], outputs: list, seconds: list[float], sizes: list,
                  delay: int, jobs: int, names: tuple[str, ...] | None, tick, pool=None) -> list[dict]:
    """One record per clip: the scored output (shifted by the method's `delay`) or the failure."""
    scorable = [(o, c.reference) for o, c in zip(outputs, clips) if isinstance(o, np.ndarray)]
    scored = iter(score_many(scorable, jobs, progress=tick, delay=delay, names=names, pool=pool))
    rows = []
    for clip, out, sec, size in zip(clips, outputs, seconds, sizes):
        if isinstance(out, np.ndarray):
            result = next(scored)
        else:
            tick()
            result = failed_row(out if isinstance(out, str) else f"input unreadable: {clip.error}", names, delay)
        rows.append(_row(clip, name, out, sec, result, size))
    return rows


def write_run(outdir: Path, rows: list[dict], infos: dict, clips: list[Clip], device: str, argv,
              report: bool, names: tuple[str, ...] | None = None) -> dict:
    """clips.jsonl, summary.json, summary.md (and report.html when `report`); returns the summary."""
    for name, info in infos.items():
        if info["status"] == "ran":
            info["lag_disagreements"] = sum(bool(r["lag_disagrees"]) for r in rows if r["method"] == name)
    summary = _summary(rows, infos, clips, device, argv)
    summary["metrics_computed"] = list(names) if names else "all"
    write_atomic(outdir / "clips.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    write_atomic(outdir / "summary.json", json.dumps(summary, indent=1) + "\n")
    from .report import summary_markdown

    write_atomic(outdir / "summary.md", summary_markdown(summary))
    if report:
        from .html_report import run_report

        run_report(outdir, summary)
    return summary


def _bitrate(clips, outputs, sizes) -> dict | None:
    """Bytes actually written, and kbit/s over the clips that went through a container."""
    coded = [(c.seconds, n) for c, o, n in zip(clips, outputs, sizes) if isinstance(o, np.ndarray) and n]
    if not coded:
        return None
    seconds, total = sum(s for s, _ in coded), sum(n for _, n in coded)
    return {"clips": len(coded), "bytes": total, "audio_seconds": seconds, "kbps": 8 * total / seconds / 1000}


def _row(clip: Clip, method: str, out, seconds: float, result: dict, size: int | None = None) -> dict:
    metrics: dict[str, MetricResult] = result["metrics"]
    status = "ok" if isinstance(out, np.ndarray) else "error"
    reason = "" if status == "ok" else (out if isinstance(out, str) else f"input unreadable: {clip.error}")
    return {"clip": clip.id, "path": str(clip.path), "method": method, "seconds": clip.seconds,
            "status": status, "reason": reason, "reconstruct_seconds": seconds,
            "container_bytes": size, "kbps": 8 * size / clip.seconds / 1000 if size else None,
            "delay_samples": result["delay_samples"], "lag_estimate": result["lag_estimate"],
            "lag_peak": result["lag_peak"], "lag_disagrees": result["lag_disagrees"],
            "metrics": {name: value.to_json() for name, value in metrics.items()}}


def _timing(clips, outputs, seconds, load_seconds) -> dict:
    done = [(c.seconds, s) for c, o, s in zip(clips, outputs, seconds) if isinstance(o, np.ndarray)]
    audio = sum(a for a, _ in done)
    compute = sum(s for _, s in done)
    return {"clips": len(done), "audio_seconds": audio, "reconstruct_seconds": compute,
            "load_seconds": load_seconds,
            "real_time_factor": compute / audio if audio else None,
            "x_real_time": audio / compute if compute else None}


def _summary(rows, infos, clips, device, argv) -> dict:
    from .provenance import machine, package_versions

    metrics = all_metrics()  # every metric gets an aggregate; one not computed has n_ok = n = 0
    for name, info in infos.items():
        if info["status"] != "ran":
            continue
        mine = [r for r in rows if r["method"] == name]
        info["metrics"] = {}
        for metric_name, metric in metrics.items():
            values = [MetricResult.from_json(r["metrics"][metric_name]) for r in mine if metric_name in r["metrics"]]
            info["metrics"][metric_name] = {**aggregate(values), "unit": metric.unit,
                                            "higher_is_better": metric.higher_is_better,
                                            "headline": metric.headline}
        info["n_clips_failed"] = sum(r["status"] != "ok" for r in mine)
    from .provenance import git_state

    commit, dirty = git_state(Path(__file__).resolve().parent.parent)
    summary = {"schema": 1, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "commit": commit, "dirty": dirty,
               "command": argv or sys.argv, "environment": {**machine(device), "packages": package_versions()},
               "clips": [{"id": c.id, "path": str(c.path), "seconds": c.seconds, "error": c.error} for c in clips],
               "methods": infos}
    summary["baselines"] = compare_to_baselines(summary)
    return summary


def clip_figures(outdir: Path, name: str, clips: list[Clip], outputs: list, rows: list[dict]) -> None:
    """figures/METHOD/ID.png for every clip with an output (`rows`: its records, in clip order)."""
    from .figures import clip_figure
    from .html_report import method_folder

    folder = outdir / "figures" / method_folder(name)
    folder.mkdir(parents=True, exist_ok=True)
    for clip, out, row in zip(clips, outputs, rows):
        if isinstance(out, np.ndarray):
            retention = {b: row["metrics"].get(f"band_retention_{b}", {}).get("value") for b in ("low", "mid", "high")}
            clip_figure(folder / f"{clip.id}.png", out, clip.reference, retention, f"{name}: {clip.id}")


def save_audio_files(outdir: Path, name: str, clips: list[Clip], outputs: list) -> None:
    """audio/METHOD/ID.wav (16 kHz float WAV) for every clip with an output `[N]`."""
    from codec.audio_files import write_audio

    from .html_report import method_folder

    folder = outdir / "audio" / method_folder(name)
    folder.mkdir(parents=True, exist_ok=True)
    for clip, out in zip(clips, outputs):
        if isinstance(out, np.ndarray):
            write_audio(folder / f"{clip.id}.wav", out, SAMPLE_RATE, force=True)


def progress_bar(total: int, enabled: bool):
    """A tqdm bar on stderr (hidden when not `enabled` or not on a terminal)."""
    from tqdm import tqdm

    return tqdm(total=total, desc="evaluating", unit="step", disable=not enabled or None,
                file=sys.stderr, leave=False)
