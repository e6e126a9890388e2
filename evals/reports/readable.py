"""Numbers and tables made for reading: formatted values, the headline metrics, method groups.

Used by the scorecard, summary.md and the HTML pages, so all three read the same way.
"""

from __future__ import annotations

from evals.aggregate import readable

HEADLINE = [("pesq_wb", "PESQ-WB"), ("stoi", "STOI"), ("visqol_speech", "ViSQOL"), ("dnsmos_ovrl", "DNSMOS"),
            ("log_mel_l1", "log-mel L1"), ("mrstft", "MR-STFT"), ("band_retention_high", "energy > 4 kHz")]
"""The headline metrics, in table order, with their column labels."""

LEGEND = ("Means over the clips. Higher is better for PESQ-WB (1 to 4.5), STOI (0 to 1), ViSQOL and "
          "DNSMOS (1 to 5); lower is better for log-mel L1 and MR-STFT. \"energy > 4 kHz\" is the output's "
          "energy above 4 kHz as a share of the original's: 100 % is right, less is lost treble, more is "
          "added noise.")

GROUPS = ("no model", "VAE paths", "the reports' methods", "rate sweep", "other")
"""Method groups, in table order."""

def with_unit(value, unit: str) -> str:
    """`readable(value, unit)` followed by the unit (percent is already in it)."""
    text = readable(value, unit)
    return text if unit in ("", "%") or text == "-" else f"{text} {unit}"


def method_group(name: str) -> str:
    """Which group of the tables a method spec belongs to."""
    from evals.methods import METHODS
    from evals.methods.core import core_methods

    base = name.split(":", 1)[0]
    if ":" in name and "quant=" in name:
        return "rate sweep"
    if base not in METHODS:
        return "other"
    if base in {m.name for m in core_methods()}:
        return "VAE paths" if METHODS[base].needs else "no model"
    return "the reports' methods"


def grouped(names: list[str]) -> list[tuple[str, list[str]]]:
    """(group, method names in their given order) for each non-empty group, in `GROUPS` order."""
    by_group: dict[str, list[str]] = {g: [] for g in GROUPS}
    for name in names:
        by_group[method_group(name)].append(name)
    return [(g, members) for g, members in by_group.items() if members]


def headline_rows(methods: dict, extra=None) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the grouped headline table for a summary's `methods` (those that ran).

    `extra(name, info)` may return more cells for a row (their headers are the caller's).
    """
    from evals.metrics import all_metrics

    metrics = all_metrics()
    ran = [n for n, i in methods.items() if i.get("status") == "ran"]
    header = ["group", "method", *[label for _, label in HEADLINE]]
    rows = []
    for group, members in grouped(ran):
        for i, name in enumerate(members):
            info = methods[name]
            cells = [readable(info["metrics"][m]["mean"], metrics[m].unit) for m, _ in HEADLINE]
            rows.append([group if i == 0 else "", name, *cells, *(extra(name, info) if extra else [])])
    return header, rows


def verdict_lines(card: dict, gates) -> list[str]:
    """The scorecard's opening: gates passed out of all, what fell short, the golden-value verdicts,
    and what fixing the reports' mistakes is worth (when both paths ran)."""
    failed = [g for g in gates if not g.passed]
    if not gates:
        lines = ["**Verdict: no gates apply to the methods that ran.**"]
    elif failed:
        methods = sorted({g.method for g in failed})
        lines = [f"**Verdict: {len(failed)} of {len(gates)} gates FAIL** ({', '.join(methods)}); "
                 "what fell short is the first table below."]
    else:
        lines = [f"**Verdict: all {len(gates)} gates pass.**"]
    golden = card.get("against_golden") or {}
    if golden.get("methods"):
        counts = golden["counts"]
        lines.append(f"Against the recorded golden values (paired, per class; docs/compare.md): "
                     f"{counts.get('regressed', 0)} regressed, {counts.get('improved', 0)} improved, "
                     f"{counts.get('inconclusive', 0)} inconclusive, {counts.get('unchanged', 0)} unchanged.")
    fix = _fix_worth(card)
    if fix:
        lines.append(fix)
    skipped = [n for n, r in card["methods"].items() if r["status"] != "ran"]
    lines.append(f"Model: {card['model']}. Golden set: {card['clips']} clips, {card['audio_seconds']:.1f} s; "
                 f"device {card['device']}." + (f" Skipped: {', '.join(skipped)} (reasons at the end)." if skipped else ""))
    return lines


def _fix_worth(card: dict) -> str:
    """One sentence: the reports' own path against the fixed one, on the headline metrics."""
    from evals.metrics import all_metrics

    theirs, ours = card["methods"].get("legacy+vae+griffinlim"), card["methods"].get("vae+griffinlim")
    if not (theirs and ours and theirs["status"] == ours["status"] == "ran"):
        return ""
    units = {n: m.unit for n, m in all_metrics().items()}
    parts = [f"{label} {readable(theirs['means'][m], units[m])} -> {readable(ours['means'][m], units[m])}"
             for m, label in (("log_mel_l1", "log-mel L1"), ("pesq_wb", "PESQ-WB"), ("stoi", "STOI"))]
    return ("What fixing the reports' front end is worth (their path `legacy+vae+griffinlim` -> "
            f"`vae+griffinlim`): {', '.join(parts)}.")


def figures_rows(baselines: list[dict]) -> tuple[list[list[str]], int]:
    """One row per report figure that a method here matches: report, method, metric, theirs, ours,
    ours - theirs; and how many figures had no match."""
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
        ours, diff = with_unit(b["ours"], unit), with_unit(b["difference"], unit)
        rows.append([b["report"], b["method"], b["metric"] + change, b["value_text"], ours,
                     ("+" if b["difference"] >= 0 and diff[0].isdigit() else "") + diff])
    return rows, unmatched


def run_verdict_lines(summary: dict) -> list[str]:
    """A run's opening (no gates here): what ran, what was skipped, how many records failed."""
    methods = summary["methods"]
    ran = [n for n, i in methods.items() if i.get("status") == "ran"]
    skipped = [n for n in methods if n not in ran]
    failed = {n: methods[n].get("n_clips_failed", 0) for n in ran if methods[n].get("n_clips_failed")}
    missing = {n: methods[n].get("n_clips_missing", 0) for n in ran if methods[n].get("n_clips_missing")}
    seconds = sum(c["seconds"] for c in summary["clips"])
    first = (f"**{len(ran)} method(s) ran on {len(summary['clips'])} clips ({seconds:.1f} s of audio)"
             + (f"; {len(skipped)} skipped ({', '.join(skipped)})" if skipped else "") + ".**")
    lines = [first]
    if failed:
        lines.append("Records that failed (each counted, never averaged; reasons in clips.jsonl): "
                     + ", ".join(f"{n} {k}" for n, k in failed.items()) + ".")
    else:
        lines.append("Every record of every method that ran is ok (single metrics may still be skipped, "
                     "with their reason).")
    if missing:
        lines.append("Not yet recorded (resume the run to finish it): "
                     + ", ".join(f"{n} {k}" for n, k in missing.items()) + ".")
    return lines
