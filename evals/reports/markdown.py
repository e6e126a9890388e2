"""Markdown tables for a run summary: methods x metrics, skipped methods, the reports' baselines."""

from __future__ import annotations

from evals.aggregate import readable

SCORECARD_METRICS = ["pesq_wb", "stoi", "visqol_speech", "dnsmos_ovrl", "log_mel_l1", "mrstft", "band_retention_high",
                     "band_lsd_high", "snr_raw"]
CONSOLE_METRICS = ["log_mel_l1", "mrstft", "lsd", "pesq_wb", "stoi", "visqol_speech", "dnsmos_ovrl",
                   "band_retention_high", "band_lsd_high", "snr_raw", "pearson_raw"]
"""The headline metrics, then the reports' two, for the terminal; summary.md has all of them."""


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows]) + "\n"


def metric_order(summary: dict) -> list[str]:
    """Headline metrics first, then the rest, in registry order."""
    for info in summary["methods"].values():
        if info.get("metrics"):
            names = list(info["metrics"])
            return [n for n in names if info["metrics"][n]["headline"]] + \
                   [n for n in names if not info["metrics"][n]["headline"]]
    return []


def results_table(summary: dict, names: list[str] | None = None) -> str:
    """Methods as rows, metrics as columns: 'mean (n_ok/n)'; counts show every skip and error."""
    names = names or metric_order(summary)
    ran = {m: i for m, i in summary["methods"].items() if i.get("status") == "ran"}
    rows = []
    for method, info in ran.items():
        cells = []
        for name in names:
            agg = info["metrics"][name]
            total = agg["n_ok"] + agg["n_skipped"] + agg["n_error"]
            cells.append(f"{readable(agg['mean'], agg.get('unit', ''))} ({agg['n_ok']}/{total})")
        timing = info.get("timing", {})
        rows.append([method, *cells, readable(timing.get("x_real_time"))])
    header = ["method", *[f"{n} {'↑' if _higher(summary, n) else '↓'}" for n in names], "x real time"]
    return _table(header, rows)


RATE_METRICS = ["log_mel_l1", "pesq_wb", "stoi", "band_lsd_high"]


def rate_quality_table(summary: dict) -> str:
    """Methods that went through the container: bitrate from the bytes written, beside quality."""
    rows = []
    for method, info in summary["methods"].items():
        rate = info.get("bitrate")
        if info.get("status") == "ran" and rate:
            rows.append([method, f"{rate['kbps']:.2f}", f"{rate['bytes']}",
                         *[readable(info["metrics"][m]["mean"], info["metrics"][m]["unit"]) for m in RATE_METRICS]])
    if not rows:
        return ""
    rows.sort(key=lambda r: -float(r[1]))
    header = ["method", "kbit/s", "bytes", *[f"{m} {'↑' if _higher(summary, m) else '↓'}" for m in RATE_METRICS]]
    return "Rate and quality (bytes actually written, header and checksum included):\n\n" + _table(header, rows)


def _higher(summary: dict, name: str) -> bool:
    for info in summary["methods"].values():
        if info.get("metrics"):
            return info["metrics"][name]["higher_is_better"]
    return True


def skipped_table(summary: dict) -> str:
    rows = [[m, i.get("reason", "")] for m, i in summary["methods"].items() if i.get("status") != "ran"]
    return _table(["skipped method", "reason"], rows) if rows else ""


def baselines_table(summary: dict, matched_only: bool = False) -> str:
    """The reports' figures beside ours where method and metric match (all figures by default)."""
    rows = []
    for b in summary.get("baselines", []):
        if matched_only and b["ours"] is None:
            continue
        ours = "not run" if b["method"] and b["metric"] and b["ours"] is None and b["kind"] in (
            "absolute", "change") else readable(b["ours"])
        rows.append([b["report"], b["pipeline"], b["metric_text"], b["value_text"],
                     f"{b['method'] or '-'} / {b['metric'] or '-'}", ours, readable(b["difference"])])
    return _table(["report", "their pipeline", "metric", "their value", "our method / metric",
                   "ours (mean)", "ours - theirs"], rows)


def delay_table(summary: dict) -> str:
    """Per method: the one delay applied to every clip, where it came from, and the clips whose own
    strong correlation peak disagrees with it (a diagnostic; see evals.running.align)."""
    rows = [[m, str(i["delay"]["samples"]), i["delay"]["source"], i["delay"].get("detail", ""),
             str(i.get("lag_disagreements", 0))]
            for m, i in summary["methods"].items() if i.get("status") == "ran" and i.get("delay")]
    if not rows:
        return ""
    return ("Delay (samples at 16 kHz) applied to every clip of a method:\n\n"
            + _table(["method", "delay", "source", "detail", "clips disagreeing"], rows))


def summary_markdown(summary: dict) -> str:
    """The run's page in markdown: what ran and failed first, the grouped headline table, then every
    metric with its counts, rate, skips, delays and the reports' figures."""
    from evals.reports.readable import LEGEND, headline_rows, run_verdict_lines

    env = summary["environment"]
    header, rows = headline_rows(summary["methods"])
    lines = [f"# Evaluation run {summary['created']}", "", *[line + "\n" for line in run_verdict_lines(summary)]]
    if rows:
        lines += ["## Headline metrics", "", LEGEND, "", _table(header, rows)]
    lines += [f"Device {env['device']}{' (' + env['gpu'] + ')' if env.get('gpu') else ''}, "
             f"{len(summary['clips'])} clips, "
             f"{sum(c['seconds'] for c in summary['clips']):.1f} s of audio. Cells: mean over ok "
             f"clips (n_ok / n); skipped and failed values are counted, never averaged.", ""]
    for method, info in summary["methods"].items():
        if info.get("model_id"):
            lines.append(f"- {method}: weights {info['model_id']} (sha256 {info['weights_sha256'][:16]})")
    names = metric_order(summary)
    headline = [n for n in names if n in CONSOLE_METRICS]
    lines += ["", "## Every metric, with counts", "", results_table(summary, headline), "",
              results_table(summary, [n for n in names if n not in headline]), rate_quality_table(summary),
              skipped_table(summary), delay_table(summary),
              "## The reports' baselines", "",
              "Their numbers come from one 5 s generated music clip, the wrong front end and an unnamed "
              "GPU: compare trends, not decimals.", "", baselines_table(summary)]
    return "\n".join(lines)
