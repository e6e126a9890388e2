"""A run's tables (methods x metrics, rate, skips, delays, the reports' baselines) and its summary.md.

Each `*_table` function returns Markdown (the terminal prints it); `summary_markdown` is the page.
"""

from __future__ import annotations

from evals.reports.numbers import readable
from evals.reports.table import Table, note, text

CELLS = "Cells: mean over ok clips (n_ok / n); skipped and failed values are counted, never averaged."
BASELINES_CAVEAT = (
    "Their numbers come from one 5 s generated music clip, the wrong front end and an "
    "unnamed GPU: compare trends, not decimals."
)


def _ran(summary: dict) -> dict:
    return {m: i for m, i in summary["methods"].items() if i.get("status") == "ran"}


def _metric_names(summary: dict) -> list[str]:
    """The metrics the summary has aggregates of, in its order."""
    for info in _ran(summary).values():
        if info.get("metrics"):
            return list(info["metrics"])
    return []


def _headline_names(summary: dict) -> list[str]:
    from evals.metrics import headline_metrics

    present = set(_metric_names(summary))
    return [n for n in headline_metrics() if n in present]


def _column(summary: dict, name: str) -> str:
    """A metric's column: its name and its direction."""
    for info in _ran(summary).values():
        if info.get("metrics"):
            return f"{name} {'↑' if info['metrics'][name]['higher_is_better'] else '↓'}"
    return name


def results(summary: dict, names: list[str] | None = None) -> Table:
    """Methods as rows, metrics as columns (the headline metrics unless `names`): 'mean (n_ok/n)', so that
    the counts show every skip and error; and x real time."""
    names = _headline_names(summary) if names is None else names
    rows = []
    for method, info in _ran(summary).items():
        cells = []
        for name in names:
            agg = info["metrics"][name]
            total = agg["n_ok"] + agg["n_skipped"] + agg["n_error"]
            mean = readable(agg["mean"], agg.get("unit", ""))
            cells.append(text(f"{mean} ", note(f"({agg['n_ok']}/{total})")))
        rows.append([method, *cells, readable(info.get("timing", {}).get("x_real_time"))])
    return Table(("method", *[_column(summary, n) for n in names], "x real time"), rows)


def results_table(summary: dict, names: list[str] | None = None) -> str:
    """`results` in Markdown."""
    return results(summary, names).markdown()


def rate_quality(summary: dict) -> Table | None:
    """Methods that went through the container: bitrate from the bytes written, beside the headline
    metrics; None when no method did."""
    names = _headline_names(summary)
    coded = sorted(
        ((m, i) for m, i in _ran(summary).items() if i.get("bitrate")),
        key=lambda item: -item[1]["bitrate"]["kbps"],
    )
    if not coded:
        return None
    rows = [
        [
            method,
            readable(info["bitrate"]["kbps"]),
            str(info["bitrate"]["bytes"]),
            *[readable(info["metrics"][m]["mean"], info["metrics"][m]["unit"]) for m in names],
        ]
        for method, info in coded
    ]
    return Table(
        ("method", "kbit/s", "bytes", *[_column(summary, m) for m in names]),
        rows,
        title="Rate and quality (bytes actually written, header and checksum included):",
    )


def rate_quality_table(summary: dict) -> str:
    """`rate_quality` in Markdown ("" without a container method)."""
    table = rate_quality(summary)
    return table.markdown() if table else ""


def skipped_table(summary: dict) -> str:
    rows = [[m, i.get("reason", "")] for m, i in summary["methods"].items() if i.get("status") != "ran"]
    return Table(("skipped method", "reason"), rows).markdown() if rows else ""


def baselines_table(summary: dict, matched_only: bool = False) -> str:
    """The reports' figures beside ours where method and metric match (all figures by default)."""
    rows = []
    for b in summary.get("baselines", []):
        if matched_only and b["ours"] is None:
            continue
        ours = (
            "not run"
            if b["method"] and b["metric"] and b["ours"] is None and b["kind"] in ("absolute", "change")
            else readable(b["ours"])
        )
        rows.append(
            [
                b["report"],
                b["pipeline"],
                b["metric_text"],
                b["value_text"],
                f"{b['method'] or '-'} / {b['metric'] or '-'}",
                ours,
                readable(b["difference"]),
            ]
        )
    return Table(
        (
            "report",
            "their pipeline",
            "metric",
            "their value",
            "our method / metric",
            "ours (mean)",
            "ours - theirs",
        ),
        rows,
    ).markdown()


def delay_table(summary: dict) -> str:
    """Per method: the one delay applied to every clip, where it came from, and the clips whose own
    strong correlation peak disagrees with it (a diagnostic; see evals.running.align)."""
    rows = [
        [
            m,
            str(i["delay"]["samples"]),
            i["delay"]["source"],
            i["delay"].get("detail", ""),
            str(i.get("lag_disagreements", 0)),
        ]
        for m, i in _ran(summary).items()
        if i.get("delay")
    ]
    if not rows:
        return ""
    return Table(
        ("method", "delay", "source", "detail", "clips disagreeing"),
        rows,
        title="Delay (samples at 16 kHz) applied to every clip of a method:",
    ).markdown()


def summary_markdown(summary: dict) -> str:
    """The run's page in markdown: what ran and failed first, the grouped headline table, then every
    metric with its counts, rate, skips, delays and the reports' figures."""
    from evals.reports.readable import headline_table, legend, run_verdict_lines

    env = summary["environment"]
    headline = headline_table(summary["methods"])
    lines = [
        f"# Evaluation run {summary['created']}",
        "",
        *[line.markdown() + "\n" for line in run_verdict_lines(summary)],
    ]
    if headline.rows:
        lines += ["## Headline metrics", "", legend(), "", headline.markdown()]
    seconds = sum(c["seconds"] for c in summary["clips"])
    gpu = f" ({env['gpu']})" if env.get("gpu") else ""
    lines += [
        f"Device {env['device']}{gpu}, {len(summary['clips'])} clips, {readable(seconds)} s of audio. "
        + CELLS,
        "",
    ]
    for method, info in summary["methods"].items():
        if info.get("model_id"):
            lines.append(f"- {method}: weights {info['model_id']} (sha256 {info['weights_sha256'][:16]})")
    first = _headline_names(summary)
    lines += [
        "",
        "## Every metric, with counts",
        "",
        results_table(summary, first),
        "",
        results_table(summary, [n for n in _metric_names(summary) if n not in first]),
        rate_quality_table(summary),
        skipped_table(summary),
        delay_table(summary),
        "## The reports' baselines",
        "",
        BASELINES_CAVEAT,
        "",
        baselines_table(summary),
    ]
    return "\n".join(lines)
