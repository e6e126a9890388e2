"""`python -m evals scorecard`: every method that can run here, on the bundled golden set, as one
table: headline metrics, the reports' figures beside them, pass/fail against the gates, and the
methods that were skipped with the reason.

The model is the best one found: `--weights` if given; else the real AudioLDM2 weights
(`cvssp/audioldm2-music`, hub cache first); else the embedded reference models in `golden/reference`
(a VAE and a vocoder; when present); else the VAE and HiFi-GAN methods are skipped. The scorecard says which, plainly.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from evals.gating.gates import check_gates, gate_table, load_gates
from evals.gating.golden_set import GOLDEN_DIR, clip_classes, golden_clips, golden_records
from evals.methods import METHODS, rate_sweep
from evals.metrics import all_metrics
from evals.reports.markdown import SCORECARD_METRICS
from evals.reports.rate_apart import rate_apart, rate_apart_lines
from evals.reports.readable import HEADLINE as HEADLINE_LABELS
from evals.run_folder import write_atomic
from evals.running.records import read_records
from evals.running.runner import run
from evals.running.summarize import ordered_records, read_run

EMBEDDED_MODEL = GOLDEN_DIR / "reference"


RATE_METHODS = ["vae+griffinlim", "vae+hifigan"]
"""Swept through the container's quantisations for the scorecard's rate-quality table."""


def model_kind(source: str) -> str:
    """"reference" for the embedded reference models, else "audioldm2" (gates are kept per kind)."""
    try:
        return "reference" if Path(source).resolve() == EMBEDDED_MODEL.resolve() else "audioldm2"
    except OSError:
        return "audioldm2"


def best_model(weights: str | None) -> tuple[str, str]:
    """(weights source, plain description of what it is)."""
    from codec.constants import DEFAULT_MODEL
    from codec.errors import CodecError
    from codec.loading import resolve_weights

    if weights:
        return weights, f"the weights you named: {weights}"
    try:
        resolve_weights(DEFAULT_MODEL, ("vae",))
        return DEFAULT_MODEL, f"the real AudioLDM2 weights ({DEFAULT_MODEL})"
    except CodecError:
        pass
    if (EMBEDDED_MODEL / "vae" / "config.json").is_file():
        return str(EMBEDDED_MODEL), ("the embedded reference models in golden/reference (a small VAE and "
                                     "vocoder trained here with AudioLDM2's interfaces; NOT AudioLDM2's weights)")
    return DEFAULT_MODEL, "none: the real AudioLDM2 weights were not found, so the VAE methods are skipped"


def default_outdir() -> Path:
    return Path("runs") / f"scorecard-{datetime.now(timezone.utc).strftime('%Y%m%d-%H%M%S')}"


def scorecard(outdir: str | Path | None = None, *, weights: str | None = None, methods: list[str] | None = None,
              clips: list[str] | None = None, device: str = "auto", jobs: int | None = None,
              save_audio: bool = True, force: bool = False, progress: bool = True,
              argv: list[str] | None = None, report: bool = False, engine: str | None = None,
              scheduler: str | None = None, scheduler_file: str | None = None) -> dict:
    """Runs the golden set (or the named clips of it) and writes OUTDIR/scorecard.{md,json}."""
    outdir = Path(outdir) if outdir else default_outdir()
    source, model = best_model(weights)
    available = golden_clips()
    unknown = sorted(set(clips or []) - set(available))
    if unknown:
        raise ValueError(f"unknown golden clip(s) {unknown}; choose from {sorted(available)}")
    clips = {cid: e for cid, e in available.items() if not clips or cid in clips}
    methods = methods or list(METHODS) + rate_sweep(RATE_METHODS)
    summary = run([str(e["path"]) for e in clips.values()], methods, outdir, weights=source,
                  device=device, save_audio=save_audio, force=force, jobs=jobs, progress=progress, argv=argv,
                  report=report, engine=engine, scheduler=scheduler, scheduler_file=scheduler_file)
    rows = ordered_records(read_run(outdir), read_records(outdir / "clips.jsonl"))
    ran = {m for m, info in summary["methods"].items() if info["status"] == "ran"}
    gates = check_gates(rows, clip_classes(), load_gates(), ran, model=model_kind(source))
    against_golden = golden_regressions(rows, ran, model_kind(source))
    card = {"created": summary["created"], "model": model, "weights": source, "clips": len(clips),
            "audio_seconds": sum(c["seconds"] for c in summary["clips"]), "device": summary["environment"]["device"],
            "methods": _method_rows(summary, gates), "gates": [g.__dict__ for g in gates],
            "gates_failed": sum(not g.passed for g in gates), "baselines": summary["baselines"],
            "against_golden": against_golden, "rate_apart": rate_apart(rows)}
    write_atomic(outdir / "scorecard.json", json.dumps(card, indent=1) + "\n")
    write_atomic(outdir / "scorecard.md", scorecard_markdown(card, gates))
    if report:
        from evals.reports.html import run_report, scorecard_preface

        run_report(outdir, summary, page="scorecard.html", title=f"Scorecard {card['created']}",
                   preface=scorecard_preface(card, gates))
    return card


def golden_regressions(rows: list[dict], ran: set[str], model: str) -> dict:
    """Each method that has recorded golden values (weights-free, or the reference VAE's), judged
    against them with the paired per-class statistics of `compare`: counts of each verdict, and the
    regressed rows."""
    from evals.reports.compare_paired import VERDICTS, paired_compare

    out = {"methods": [], "counts": dict.fromkeys(VERDICTS, 0), "regressed": []}
    for method in sorted(ran):
        recorded = golden_records(method, "reference" if METHODS[method.split(":")[0]].needs else "")
        if recorded is None or (METHODS[method.split(":")[0]].needs and model != "reference"):
            continue
        paired, _ = paired_compare(recorded, [r for r in rows if r["method"] == method], clip_classes())
        out["methods"].append(method)
        for r in paired:
            out["counts"][r.verdict] += 1
            if r.verdict == "regressed":
                out["regressed"].append({"method": r.method, "metric": r.metric, "class": r.clip_class, "n": r.n,
                                         "mean_difference": r.mean_difference, "ci": r.ci,
                                         "threshold": r.threshold})
    return out


def _method_rows(summary: dict, gates) -> dict:
    out = {}
    for name, info in summary["methods"].items():
        if info["status"] != "ran":
            out[name] = {"status": "skipped", "reason": info.get("reason", "")}
            continue
        mine = [g for g in gates if g.method == name]
        out[name] = {"status": "ran", "means": {m: info["metrics"][m]["mean"] for m in SCORECARD_METRICS},
                     "n": {m: info["metrics"][m]["n_ok"] for m in SCORECARD_METRICS},
                     "gates_passed": sum(g.passed for g in mine), "gates_total": len(mine),
                     "x_real_time": info.get("timing", {}).get("x_real_time"),
                     "delay": info.get("delay"), "lag_disagreements": info.get("lag_disagreements", 0),
                     "kbps": (info.get("bitrate") or {}).get("kbps")}
    return out


def scorecard_markdown(card: dict, gates) -> str:
    from evals.reports.readable import LEGEND, figures_rows, headline_rows, readable, verdict_lines

    table = lambda header, rows: ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + [
        "| " + " | ".join(r) + " |" for r in rows]
    lines = [f"# Scorecard {card['created']}", "", *[line + "\n" for line in verdict_lines(card, gates)]]
    failed = [g for g in gates if not g.passed]
    if failed:
        lines += ["## What fell short", "", gate_table(gates), ""]

    def extra(name, _info):
        row = card["methods"][name]
        ok = row["gates_passed"] == row["gates_total"]
        gate = (f"{'pass' if ok else 'FAIL'} {row['gates_passed']}/{row['gates_total']}" if row["gates_total"]
                else "no gates")
        return [gate, readable(row["x_real_time"])]

    methods = {n: {"status": r["status"], "metrics": {m: {"mean": v} for m, v in r.get("means", {}).items()}}
               for n, r in card["methods"].items()}
    header, rows = headline_rows(methods, extra)
    lines += ["## Headline metrics", "", LEGEND, "", *table([*header, "gates", "x real time"], rows)]
    figures, unmatched = figures_rows(card["baselines"])
    if figures:
        lines += ["", "## The reports' figures beside ours", "",
                  "Theirs come from one 5 s generated clip through their wrong front end; ours are means over the "
                  "golden set through the fixed one." + (f" {unmatched} more figure(s) have no method here; "
                                                          "summary.md lists every figure." if unmatched else ""), "",
                  *table(["report", "method", "metric", "theirs", "ours", "ours - theirs"], figures)]
    coded = [(n, r) for n, r in card["methods"].items() if r["status"] == "ran" and r.get("kbps")]
    if coded:
        units = {m: metric.unit for m, metric in all_metrics().items()}
        lines += ["", "## Rate and quality", "", "Each clip through the .al2c container; kbit/s from the bytes "
                  "written (header and checksum included).", "",
                  *table(["method", "kbit/s", *[label for _, label in HEADLINE_LABELS]],
                         [[n, f"{r['kbps']:.2f}", *[readable(r["means"][m], units.get(m, "")) for m, _ in HEADLINE_LABELS]]
                          for n, r in sorted(coded, key=lambda item: -item[1]["kbps"])])]
        apart = rate_apart_lines(card.get("rate_apart") or [])
        if apart:
            lines += ["", "Are the settings told apart? Each against float32, clip for clip (95 % interval of the "
                      "paired difference; apart when it excludes 0):", "", *apart]
    delays = [(n, r["delay"]) for n, r in card["methods"].items() if r["status"] == "ran" and r.get("delay")
              and (r["delay"]["samples"] or r["delay"]["source"] != "declared" or r.get("lag_disagreements"))]
    if delays:
        lines += ["", "Delays other than the declared 0 (one per method, applied to every clip):", ""] + \
                 [f"- {n}: {d['samples']} samples ({d['source']}: {d['detail']}); "
                  f"{card['methods'][n].get('lag_disagreements', 0)} clip(s) with a strong peak elsewhere"
                  for n, d in delays]
    golden = card.get("against_golden") or {}
    for r in golden.get("regressed", []):
        lines.append(f"- REGRESSED against the golden values: {r['method']} / {r['metric']} / {r['class']} "
                     f"(n {r['n']}): mean change {readable(r['mean_difference'])}, worse by "
                     f"[{readable(r['ci'][0])}, {readable(r['ci'][1])}] > {readable(r['threshold'])}")
    by_reason: dict[str, list[str]] = {}
    for n, r in card["methods"].items():
        if r["status"] != "ran":
            by_reason.setdefault(r["reason"], []).append(n)
    if by_reason:
        lines += ["", "## Skipped", ""] + [f"- {', '.join(names)}: {reason}" for reason, names in by_reason.items()]
    lines += ["", "Every per-clip value, with its status, is in clips.jsonl; every metric's mean in summary.md."]
    return "\n".join(lines) + "\n"
