"""Stage 5, report: summary.json, summary.md and report.html rebuilt from run.json and clips.jsonl.

The runner calls `summarize` at the end of every run; `python -m evals summarize RUN` calls it on
demand (during a run, after a killed one, or after editing nothing but wanting the page again).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from evals.aggregate import aggregate
from evals.records import read_records
from evals.result import MetricResult
from evals.run_folder import summary_file, summary_md_file, write_atomic
from evals.running.run_info import RunInfo, read_run


def ordered_records(run: RunInfo, records: list[dict]) -> list[dict]:
    """`records` (one per key, `read_records`) of the run's clips and methods (run.json), in its method
    order, then clip order. Any other record (a clip no longer among the inputs, a method not asked,
    a record of the clip's id for another file) is not the run's and is left out."""
    method_rank = {m: i for i, m in enumerate(run.methods)}
    clip_rank = {c.id: i for i, c in enumerate(run.clips)}
    paths = {c.id: c.path for c in run.clips}
    mine = [
        r
        for r in records
        if r["method"] in method_rank
        and r["clip"] in paths
        and r.get("path", paths[r["clip"]]) == paths[r["clip"]]
    ]
    return sorted(
        mine,
        key=lambda r: (
            method_rank.get(r["method"], len(method_rank)),
            clip_rank.get(r["clip"], len(clip_rank)),
        ),
    )


def run_records(outdir: str | Path) -> list[dict]:
    """The records of a run folder, one per (method, clip), in the run's method order, then clip order."""
    return ordered_records(read_run(outdir), read_records(outdir))


def summarize(outdir: str | Path, report: bool | None = None) -> dict:
    """Writes summary.json and summary.md (and report.html when `report`, default: as the run asked).

    Returns the summary dict.
    """
    outdir = Path(outdir)
    run = read_run(outdir)
    summary = build_summary(run, ordered_records(run, read_records(outdir)))
    write_atomic(summary_file(outdir), json.dumps(summary, indent=1) + "\n")
    from evals.reports.markdown import summary_markdown

    write_atomic(summary_md_file(outdir), summary_markdown(summary))
    if run.report if report is None else report:
        from evals.reports.html import run_report

        run_report(outdir, summary)
    return summary


def build_summary(run: RunInfo, rows: list[dict]) -> dict:
    """Per method: metric aggregates, failures, timing, bitrate, delay; the environment and baselines."""
    from evals.data_paths import source_checkout
    from evals.gating.baselines import compare_to_baselines
    from evals.metrics import all_metrics
    from evals.provenance import codec_tools, git_state, machine, package_versions

    metrics = all_metrics()  # every metric gets an aggregate; one not computed has n_ok = n = 0
    infos = {name: dict(info) for name, info in run.infos.items()}
    expected = len(run.clips)
    for name, info in infos.items():
        if info.get("status") != "ran":
            continue
        mine = [r for r in rows if r["method"] == name]
        info["metrics"] = {}
        for metric_name, metric in metrics.items():
            values = [
                MetricResult.from_json(r["metrics"][metric_name]) for r in mine if metric_name in r["metrics"]
            ]
            info["metrics"][metric_name] = {
                **aggregate(values),
                "unit": metric.unit,
                "higher_is_better": metric.higher_is_better,
                "headline": bool(metric.headline),
            }
        info["n_clips_failed"] = sum(r["status"] != "ok" for r in mine)
        info["n_clips_missing"] = expected - len(mine)
        info["lag_disagreements"] = sum(bool(r["lag_disagrees"]) for r in mine)
        info["timing"] = _timing(mine, info.get("load_seconds"))
        info["bitrate"] = _bitrate(mine)
    commit, dirty = git_state(source_checkout())
    seconds = {r["path"]: r["seconds"] for r in rows if r["status"] == "ok" or r["seconds"]}
    errors = {r["path"]: r["reason"] for r in rows if r["reason"].startswith("input unreadable")}
    summary = {
        "schema": 1,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "dirty": dirty,
        "command": list(run.command) or sys.argv,
        "environment": {**machine(run.device), "packages": package_versions(), "codec_tools": codec_tools()},
        "engine": run.engine,
        "clips": [
            {
                "id": c.id,
                "path": c.path,
                "seconds": seconds.get(c.path, 0.0),
                "error": errors.get(c.path, "").removeprefix("input unreadable: "),
            }
            for c in run.clips
        ],
        "methods": infos,
        "metrics_computed": list(run.metrics) if run.metrics else "all",
    }
    summary["baselines"] = compare_to_baselines(summary)
    return summary


def _bitrate(rows: list[dict]) -> dict | None:
    """Bytes actually written, and kbit/s over the clips that went through a container."""
    coded = [
        (r["seconds"], r["container_bytes"]) for r in rows if r["status"] == "ok" and r.get("container_bytes")
    ]
    if not coded:
        return None
    seconds, total = sum(s for s, _ in coded), sum(n for _, n in coded)
    return {"clips": len(coded), "bytes": total, "audio_seconds": seconds, "kbps": 8 * total / seconds / 1000}


def _timing(rows: list[dict], load_seconds: float | None) -> dict:
    done = [(r["seconds"], r["reconstruct_seconds"]) for r in rows if r["status"] == "ok"]
    audio = sum(a for a, _ in done)
    compute = sum(s for _, s in done)
    return {
        "clips": len(done),
        "audio_seconds": audio,
        "reconstruct_seconds": compute,
        "load_seconds": load_seconds,
        "real_time_factor": compute / audio if audio else None,
        "x_real_time": audio / compute if compute else None,
    }
