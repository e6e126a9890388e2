"""What the scorecard, summary.md and the HTML pages say first: method groups, the grouped headline table,
the legend, the verdict lines and the reports' figures beside ours, as table-model blocks
(`evals.reports.table`), so all of them read the same way in Markdown and in HTML.
"""

from __future__ import annotations

from collections.abc import Callable

from evals.reports.numbers import readable, with_unit
from evals.reports.table import Piece, Table, Text, bold, code, text

GROUPS = (
    "no model",
    "VAE paths",
    "the latent's rate ladder",
    "other codecs",
    "the reports' methods",
    "rate sweep",
    "other",
)
"""Method groups, in table order."""


def method_group(name: str) -> str:
    """Which group of the tables a method spec belongs to."""
    from evals.methods import METHODS
    from evals.methods.baseline_codecs import baseline_methods
    from evals.methods.core import core_methods

    base, _, params = name.partition(":")
    keys = {item.partition("=")[0] for item in params.split(",") if item}
    if "quant" in keys:
        return "rate sweep"
    if "bits" in keys:
        return "the latent's rate ladder"
    if base not in METHODS:
        return "other"
    if base in {m.name for m in baseline_methods()}:
        return "other codecs"
    if base in {m.name for m in core_methods()}:
        return "VAE paths" if METHODS[base].needs else "no model"
    return "the reports' methods"


def grouped(names: list[str]) -> list[tuple[str, list[str]]]:
    """(group, method names in their given order) for each non-empty group, in `GROUPS` order."""
    by_group: dict[str, list[str]] = {g: [] for g in GROUPS}
    for name in names:
        by_group[method_group(name)].append(name)
    return [(g, members) for g, members in by_group.items() if members]


def legend() -> str:
    """How to read the headline table: each headline metric's direction, and what retention means."""
    from evals.metrics import all_metrics, headline_metrics

    metrics = [all_metrics()[n] for n in headline_metrics()]
    retention = [m for m in metrics if m.name.startswith("band_retention_")]
    higher = [
        f"{m.column} ({m.valid_range[0]:g} to {m.valid_range[1]:g})"
        for m in metrics
        if m.higher_is_better and m not in retention
    ]
    lower = [m.column for m in metrics if not m.higher_is_better]
    said = [
        f"Higher is better for {_listed(higher)}" if higher else "",
        f"lower is better for {_listed(lower)}" if lower else "",
    ]
    out = "Means over the clips. " + "; ".join(s for s in said if s) + "."
    for m in retention:
        out += (
            f" \"{m.column}\" is the output's energy in that band as a share of the original's: 100 % is "
            "right, less is lost energy, more is added noise."
        )
    return out


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def headline_table(
    methods: dict,
    extra: Callable[[str, dict], list[Piece]] | None = None,
    extra_columns: tuple[str, ...] = (),
) -> Table:
    """The grouped headline table of a summary's `methods` (those that ran): group, method, and the
    headline metrics' means (`Metric.headline`); `extra(name, info)` gives the cells of `extra_columns`."""
    from evals.metrics import all_metrics, headline_metrics

    metrics = all_metrics()
    names = headline_metrics()
    ran = [n for n, i in methods.items() if i.get("status") == "ran"]
    rows = []
    for group, members in grouped(ran):
        for i, name in enumerate(members):
            info = methods[name]
            means = info.get("metrics", {})
            cells = [readable(means.get(m, {}).get("mean"), metrics[m].unit) for m in names]
            rows.append([group if i == 0 else "", name, *cells, *(extra(name, info) if extra else [])])
    return Table(("group", "method", *[metrics[m].column for m in names], *extra_columns), rows)


def verdict_lines(card: dict, gates) -> list[Text]:
    """The scorecard's opening: gates passed out of all, what fell short, the golden-value verdicts,
    and what fixing the reports' mistakes is worth (when both paths ran)."""
    failed = [g for g in gates if not g.passed]
    if not gates:
        lines = [text(bold("Verdict: no gates apply to the methods that ran."))]
    elif failed:
        methods = sorted({g.method for g in failed})
        lines = [
            text(
                bold(f"Verdict: {len(failed)} of {len(gates)} gates FAIL"),
                f" ({', '.join(methods)}); what fell short is the first table below.",
            )
        ]
    else:
        lines = [text(bold(f"Verdict: all {len(gates)} gates pass."))]
    golden = card.get("against_golden") or {}
    if golden.get("methods"):
        counts = golden["counts"]
        said = ", ".join(
            f"{counts.get(v, 0)} {v}" for v in ("regressed", "improved", "inconclusive", "unchanged")
        )
        lines.append(
            text(f"Against the recorded golden values (paired, per class; docs/compare.md): {said}.")
        )
    fix = _fix_worth(card)
    if fix:
        lines.append(fix)
    skipped = [n for n, r in card["methods"].items() if r["status"] != "ran"]
    lines.append(
        text(
            f"Model: {card['model']}. Golden set: {card['clips']} clips, "
            f"{readable(card['audio_seconds'])} s; device {card['device']}."
            + (f" Skipped: {', '.join(skipped)} (reasons at the end)." if skipped else "")
        )
    )
    return lines


def _fix_worth(card: dict) -> Text | None:
    """One sentence: the reports' own path against the fixed one, on the headline metrics."""
    from evals.metrics import all_metrics, headline_metrics

    theirs, ours = card["methods"].get("legacy+vae+griffinlim"), card["methods"].get("vae+griffinlim")
    if not (theirs and ours and theirs["status"] == ours["status"] == "ran"):
        return None
    metrics = all_metrics()
    parts = [
        f"{metrics[m].column} {readable(theirs['means'].get(m), metrics[m].unit)} -> "
        f"{readable(ours['means'].get(m), metrics[m].unit)}"
        for m in headline_metrics()
    ]
    return text(
        "What fixing the reports' front end is worth (their path ",
        code("legacy+vae+griffinlim"),
        " -> ",
        code("vae+griffinlim"),
        f"): {', '.join(parts)}.",
    )


def figures_table(baselines: list[dict]) -> tuple[Table, int]:
    """The reports' figures that a method here matches (report, method, metric, theirs, ours, ours -
    theirs), and how many figures had no match."""
    from evals.metrics import all_metrics

    units = {n: m.unit for n, m in all_metrics().items()}
    rows, unmatched = [], 0
    for b in baselines:
        if not (b["method"] and b["value"] is not None and b["kind"] in ("absolute", "change")):
            continue
        if b["ours"] is None:
            unmatched += 1
            continue
        change = " (change vs vae+griffinlim)" if b["kind"] == "change" else ""
        unit = units.get(b["metric"], "s" if b["metric"].startswith("seconds") else "")
        rows.append(
            [
                b["report"],
                b["method"],
                b["metric"] + change,
                b["value_text"],
                with_unit(b["ours"], unit),
                with_unit(b["difference"], unit, sign=True),
            ]
        )
    return Table(("report", "method", "metric", "theirs", "ours", "ours - theirs"), rows), unmatched


def run_verdict_lines(summary: dict) -> list[Text]:
    """A run's opening (no gates here): what ran, what was skipped, how many records failed."""
    methods = summary["methods"]
    ran = [n for n, i in methods.items() if i.get("status") == "ran"]
    skipped = [n for n in methods if n not in ran]
    failed = {n: methods[n].get("n_clips_failed", 0) for n in ran if methods[n].get("n_clips_failed")}
    missing = {n: methods[n].get("n_clips_missing", 0) for n in ran if methods[n].get("n_clips_missing")}
    seconds = sum(c["seconds"] for c in summary["clips"])
    ran_on = f"{len(ran)} method(s) ran on {len(summary['clips'])} clips ({readable(seconds)} s of audio)"
    lines = [
        text(bold(ran_on + (f"; {len(skipped)} skipped ({', '.join(skipped)})" if skipped else "") + "."))
    ]
    if failed:
        lines.append(
            text(
                "Records that failed (each counted, never averaged; reasons in clips.jsonl): "
                + ", ".join(f"{n} {k}" for n, k in failed.items())
                + "."
            )
        )
    else:
        lines.append(
            text(
                "Every record of every method that ran is ok (single metrics may still be skipped, "
                "with their reason)."
            )
        )
    if missing:
        lines.append(
            text(
                "Not yet recorded (resume the run to finish it): "
                + ", ".join(f"{n} {k}" for n, k in missing.items())
                + "."
            )
        )
    return lines
