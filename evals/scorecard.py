"""`python -m evals scorecard`: every method that can run here, on the bundled golden set, as one
table: headline metrics, the reports' figures beside them, pass/fail against the gates, and the
methods that were skipped with the reason.

The model is the best one found: `--weights` if given; else the real AudioLDM2 weights
(`cvssp/audioldm2-music`, hub cache first); else the embedded reference models in `golden/reference`
(a VAE and a vocoder; when present); else the VAE and HiFi-GAN methods are skipped. The scorecard says
which, plainly.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from evals.gating.gates import check_gates, load_gates
from evals.gating.golden_set import GOLDEN_DIR, clip_classes, golden_clips, golden_records
from evals.methods import METHODS, rate_sweep
from evals.methods.baseline_codecs import BASELINE_LADDER
from evals.metrics import all_metrics, headline_metrics
from evals.reports.rate_apart import rate_apart
from evals.reports.scorecard_page import scorecard_markdown, scorecard_preface
from evals.run_folder import SCORECARD_HTML_FILE, SCORECARD_JSON_FILE, SCORECARD_MD_FILE, write_atomic
from evals.running.config import RunConfig
from evals.running.runner import prepare_outdir, run
from evals.running.summarize import run_records

EMBEDDED_MODEL = GOLDEN_DIR / "reference"


RATE_METHODS = ["vae+griffinlim", "vae+hifigan"]
"""Swept through the container's quantisations for the scorecard's rate-quality table."""

RATE_LADDER: tuple[str, ...] = (
    "opus:kbps=6",
    "opus:kbps=12",
    "opus:kbps=24",
    "vae+griffinlim:bits=2",
    "vae+griffinlim:bits=6",
    "vae+hifigan:bits=2",
    "vae+hifigan:bits=6",
)
"""The rate points of the default scorecard, for its rate-quality curves, BD-rates and verdict
(`evals.reports.rate_report`): three Opus points (the anchor's curve, 5.6 to 23.5 kbit/s of payload on
the golden set) and two entropy-coded latent points per VAE path (4.2 and 12.2 kbit/s: below and past
the point where the reference VAE's quality stops rising). Chosen so that the main job stays as fast
as before the ladder (docs/rate.md, "The main job's cost"); `--full-ladder` runs `FULL_LADDER`
instead: MP3, codec2 and AAC too, and eight latent points per path."""

SCORECARD_SWEEP = ("float16", "int8")
"""The container's fixed quantisations the default scorecard runs for `RATE_METHODS` (gated, and
`rate_apart` tells them from float32). float32 is left out: it is lossless, so its records are the
unquantised method's (the same values, ESTOI's last bits apart), and `rate_apart` compares with those."""

VAE_BITS_LADDER = (1, 2, 3, 4, 6, 8, 10, 12)
"""The latent's bits per value on the full ladder (about 3.4 to 25.5 kbit/s on the golden set)."""

FULL_LADDER: tuple[str, ...] = BASELINE_LADDER + tuple(
    f"{method}:bits={bits}" for method in RATE_METHODS for bits in VAE_BITS_LADDER
)
"""Every baseline codec's ladder (Opus 6 to 32, MP3 24 to 64 kbit/s, the codec2 modes, AAC) and eight
latent points per VAE path."""

LEFT_OUT_METRICS = ("visqol_audio_16k",)
"""Not computed by the default scorecard: ViSQOL's audio mode on the 16 kHz pair is neither a headline
metric, nor gated, nor pinned by golden values, and it was about half of the metrics' CPU time
(docs/rate.md, "The main job's cost"). `--metric` chooses the metrics instead."""


def default_methods(full_ladder: bool = False) -> list[str]:
    """The scorecard's methods: every registered method but the baseline codecs (they run at the
    ladder's rates instead), `RATE_METHODS` through `SCORECARD_SWEEP`, and the rate ladder."""
    baselines = {spec.partition(":")[0] for spec in BASELINE_LADDER}
    mine = [name for name in METHODS if name not in baselines]
    return (
        mine + rate_sweep(RATE_METHODS, SCORECARD_SWEEP) + list(FULL_LADDER if full_ladder else RATE_LADDER)
    )


def default_metrics() -> list[str]:
    """Every registered metric but `LEFT_OUT_METRICS`."""
    return [name for name in all_metrics() if name not in LEFT_OUT_METRICS]


def model_kind(source: str) -> str:
    """ "reference" for the embedded reference models, else "audioldm2" (gates are kept per kind)."""
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
        return str(EMBEDDED_MODEL), (
            "the embedded reference models in golden/reference (a small VAE and "
            "vocoder trained here with AudioLDM2's interfaces; NOT AudioLDM2's weights)"
        )
    return DEFAULT_MODEL, "none: the real AudioLDM2 weights were not found, so the VAE methods are skipped"


def default_outdir() -> Path:
    return Path("runs") / f"scorecard-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"


def scorecard(config: RunConfig, clips: list[str] | None = None, full_ladder: bool = False) -> dict:
    """Runs the golden set (or the clips of it named in `clips`) into `config.outdir` and writes
    scorecard.{md,json} there (and scorecard.html when `config.report`).

    `config.inputs` are ignored (the golden clips are the inputs); empty `config.methods` mean
    `default_methods(full_ladder)`, None `config.metrics` `default_metrics()`; `config.weights` None
    means the best model found (`best_model`). When records have measured rates, the rate-quality
    report is written too (rate.md, rate.json, and rate/ figures when `config.report`) and summed up in
    the card ("rate").
    """
    source, model = best_model(config.weights)
    available = golden_clips()
    unknown = sorted(set(clips or []) - set(available))
    if unknown:
        raise ValueError(f"unknown golden clip(s) {unknown}; choose from {sorted(available)}")
    chosen = {cid: e for cid, e in available.items() if not clips or cid in clips}
    config = replace(
        config,
        inputs=[str(e["path"]) for e in chosen.values()],
        weights=source,
        methods=config.methods or default_methods(full_ladder),
        metrics=default_metrics() if config.metrics is None else config.metrics,
    )
    with prepare_outdir(config):  # held until the scorecard is written, not just the run
        summary = run(config)
        outdir = config.outdir
        rows = run_records(outdir)
        ran = {m for m, info in summary["methods"].items() if info["status"] == "ran"}
        gates = check_gates(rows, clip_classes(), load_gates(), ran, model=model_kind(source))
        against_golden = golden_regressions(rows, ran, model_kind(source))
        card = {
            "created": summary["created"],
            "model": model,
            "weights": source,
            "clips": len(chosen),
            "audio_seconds": sum(c["seconds"] for c in summary["clips"]),
            "device": summary["environment"]["device"],
            "methods": _method_rows(summary, gates),
            "gates": [g.__dict__ for g in gates],
            "gates_failed": sum(not g.passed for g in gates),
            "baselines": summary["baselines"],
            "against_golden": against_golden,
            "rate_apart": rate_apart(rows),
            "rate": rate_quality(outdir, rows, figures=config.report),
        }
        write_atomic(outdir / SCORECARD_JSON_FILE, json.dumps(card, indent=1) + "\n")
        write_atomic(outdir / SCORECARD_MD_FILE, scorecard_markdown(card, gates))
        if config.report:
            from evals.reports.html import run_report

            run_report(
                outdir,
                summary,
                page=SCORECARD_HTML_FILE,
                title=f"Scorecard {card['created']}",
                preface=scorecard_preface(card, gates),
            )
    return card


def rate_quality(outdir: Path, rows: list[dict], *, figures: bool) -> dict | None:
    """Writes the run's rate-quality report (`evals.reports.rate_write`; replacing one an earlier
    scorecard in the folder wrote) and returns its JSON (`rate_report.to_json`); None when no record
    has a measured rate."""
    from evals.reports.rate_report import NoRatePoints, build_rate_report, to_json
    from evals.reports.rate_write import write_rate

    try:
        report = build_rate_report(rows)
    except NoRatePoints:
        return None
    return to_json(write_rate(outdir, report, force=True, figures=figures))


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
                out["regressed"].append(
                    {
                        "method": r.method,
                        "metric": r.metric,
                        "class": r.clip_class,
                        "n": r.n,
                        "mean_difference": r.mean_difference,
                        "ci": r.ci,
                        "threshold": r.threshold,
                    }
                )
    return out


def _method_rows(summary: dict, gates) -> dict:
    out = {}
    for name, info in summary["methods"].items():
        if info["status"] != "ran":
            out[name] = {"status": "skipped", "reason": info.get("reason", "")}
            continue
        mine = [g for g in gates if g.method == name]
        out[name] = {
            "status": "ran",
            "means": {m: info["metrics"][m]["mean"] for m in headline_metrics()},
            "n": {m: info["metrics"][m]["n_ok"] for m in headline_metrics()},
            "gates_passed": sum(g.passed for g in mine),
            "gates_total": len(mine),
            "x_real_time": info.get("timing", {}).get("x_real_time"),
            "delay": info.get("delay"),
            "lag_disagreements": info.get("lag_disagreements", 0),
            "kbps": (info.get("bitrate") or {}).get("kbps"),
        }
    return out
