"""The scorecard's report: scorecard.md (`scorecard_markdown`) and the opening of scorecard.html
(`scorecard_preface`), built from the same blocks. With rate points (the card's "rate"), the verdict
gains one sentence per VAE family and both gain the BD-rate section, its figure first on the page."""

from __future__ import annotations

from evals.reports.blocks import Block, Bullets, Heading, markdown
from evals.reports.gates_table import gates_table
from evals.reports.numbers import readable
from evals.reports.rate_apart import rate_apart_items
from evals.reports.readable import figures_table, headline_table, legend, verdict_lines
from evals.reports.table import Piece, Table, fail, note, text


def _gate_cells(card: dict, with_rate: bool):
    """The headline table's extra cells of a method: its gates (and kbit/s when `with_rate`)."""

    def cells(name: str, _info: dict) -> list[Piece]:
        row = card["methods"][name]
        ok = row["gates_passed"] == row["gates_total"]
        gate = (
            text("pass" if ok else fail("FAIL"), f" {row['gates_passed']}/{row['gates_total']}")
            if row["gates_total"]
            else "no gates"
        )
        rate = [readable(row["kbps"]) if row.get("kbps") else ""] if with_rate else []
        return [gate, readable(row["x_real_time"]), *rate]

    return cells


def _opening(card: dict, gates, with_rate: bool) -> list[Block]:
    """The verdict, what fell short, the grouped headline table and the reports' figures beside ours."""
    blocks: list[Block] = list(verdict_lines(card, gates))
    blocks += [text(sentence) for sentence in _rate_verdicts(card)]
    if any(not g.passed for g in gates):
        blocks += [Heading(2, text("What fell short")), gates_table(gates)]
    methods = {
        n: {"status": r["status"], "metrics": {m: {"mean": v} for m, v in r.get("means", {}).items()}}
        for n, r in card["methods"].items()
    }
    columns = ("gates", "x real time", *(("kbit/s",) if with_rate else ()))
    blocks += [
        Heading(2, text("Headline metrics")),
        text(note(legend())),
        headline_table(methods, _gate_cells(card, with_rate), columns),
    ]
    figures, unmatched = figures_table(card["baselines"])
    if figures.rows:
        blocks += [
            Heading(2, text("The reports' figures beside ours")),
            text(
                "Theirs come from one 5 s generated clip through their wrong front end; ours are "
                "means over the golden set through the fixed one."
                + (
                    f" {unmatched} more figure(s) have no method here; summary.md lists every figure."
                    if unmatched
                    else ""
                )
            ),
            figures,
        ]
    return blocks


def _rate_report(card: dict):
    """The card's `RateReport`, or None without rate points."""
    from evals.reports.rate_report import from_json

    return from_json(card["rate"]) if card.get("rate") else None


def _rate_verdicts(card: dict) -> list[str]:
    """One sentence per VAE family with rate points (`rate_page.verdict_sentences`)."""
    from evals.reports.rate_page import verdict_sentences

    report = _rate_report(card)
    return verdict_sentences(report) if report else []


def _bd_blocks(card: dict) -> list[Block]:
    """The BD-rate section with the rate-quality overview figure (when written); [] without rate points."""
    from evals.reports.rate_page import bd_blocks

    report = _rate_report(card)
    if report is None:
        return []
    return bd_blocks(report, report.figures[0] if report.figures else None)


def scorecard_preface(card: dict, gates) -> list[Block]:
    """What scorecard.html opens with (its headline table also gives kbit/s), then the BD-rate section,
    whose figure is the page's first."""
    return [*_opening(card, gates, with_rate=True), *_bd_blocks(card)]


def _rate_blocks(card: dict) -> list[Block]:
    """Rate and quality of the methods that went through the container, and whether the settings differ."""
    from evals.metrics import all_metrics, headline_metrics

    coded = sorted(
        ((n, r) for n, r in card["methods"].items() if r["status"] == "ran" and r.get("kbps")),
        key=lambda item: -item[1]["kbps"],
    )
    if not coded:
        return []
    metrics = all_metrics()
    names = headline_metrics()
    blocks: list[Block] = [
        Heading(2, text("Rate and quality")),
        text(
            "Each clip through the .al2c container; kbit/s from the bytes written (header and checksum "
            "included)."
        ),
        Table(
            ("method", "kbit/s", *[metrics[m].column for m in names]),
            [
                [n, readable(r["kbps"]), *[readable(r["means"].get(m), metrics[m].unit) for m in names]]
                for n, r in coded
            ],
        ),
    ]
    apart = rate_apart_items(card.get("rate_apart") or [])
    if apart:
        blocks += [
            text(
                "Are the settings told apart? Each against float32, clip for clip (95 % interval of "
                "the paired difference; apart when it excludes 0):"
            ),
            Bullets(tuple(apart)),
        ]
    return blocks


def _notes(card: dict) -> list[Block]:
    """Delays other than the declared 0, regressions against the golden values, the skipped methods."""
    blocks: list[Block] = []
    delays = [
        (n, r["delay"])
        for n, r in card["methods"].items()
        if r["status"] == "ran"
        and r.get("delay")
        and (r["delay"]["samples"] or r["delay"]["source"] != "declared" or r.get("lag_disagreements"))
    ]
    if delays:
        blocks += [
            text("Delays other than the declared 0 (one per method, applied to every clip):"),
            Bullets(
                tuple(
                    f"{n}: {d['samples']} samples ({d['source']}: {d['detail']}); "
                    f"{card['methods'][n].get('lag_disagreements', 0)} clip(s) with a strong "
                    "peak elsewhere"
                    for n, d in delays
                )
            ),
        ]
    regressed = (card.get("against_golden") or {}).get("regressed", [])
    if regressed:
        blocks.append(
            Bullets(
                tuple(
                    f"REGRESSED against the golden values: {r['method']} / {r['metric']} / {r['class']} "
                    f"(n {r['n']}): mean change {readable(r['mean_difference'])}, "
                    f"worse by [{readable(r['ci'][0])}, "
                    f"{readable(r['ci'][1])}] > {readable(r['threshold'])}"
                    for r in regressed
                )
            )
        )
    by_reason: dict[str, list[str]] = {}
    for n, r in card["methods"].items():
        if r["status"] != "ran":
            by_reason.setdefault(r["reason"], []).append(n)
    if by_reason:
        blocks += [
            Heading(2, text("Skipped")),
            Bullets(tuple(f"{', '.join(names)}: {reason}" for reason, names in by_reason.items())),
        ]
    return blocks


def scorecard_markdown(card: dict, gates) -> str:
    """scorecard.md: the opening, rate and quality, the BD-rates, delays, regressions, skips."""
    blocks = [
        Heading(1, text(f"Scorecard {card['created']}")),
        *_opening(card, gates, with_rate=False),
        *_rate_blocks(card),
        *_bd_blocks(card),
        *_notes(card),
        text("Every per-clip value, with its status, is in clips.jsonl; every metric's mean in summary.md."),
    ]
    return markdown(blocks)
