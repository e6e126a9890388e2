"""What a `RateReport` says, as report blocks (Markdown here, HTML through the templates): one
sentence per VAE family (`verdict_sentences`), the BD-rate table (`bd_table`), the points
(`points_table`), and rate.md (`rate_markdown`).

`Figure` is the one block kind the other blocks lack: an image, by its path relative to the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from evals.reports.bd_rate import rate_at_quality
from evals.reports.blocks import Block, Bullets, Heading, markdown
from evals.reports.numbers import readable, signed
from evals.reports.rate_bd import TEST_PREFIX, BdResult, quality
from evals.reports.rate_curves import ALL, RatePoint, is_container_sweep, split_spec
from evals.reports.rate_report import RateReport
from evals.reports.table import Table, Text, code, note, text

VERDICT_RATE = 10.0
"""kbit/s: each VAE family's sentence is about its point nearest this rate."""
VERDICT_CLASS = "speech"
"""The class the sentences speak of (all clips when the run has none of it)."""
VERDICT_METRIC = "pesq_wb"
"""The metric the sentences speak of (the first headline metric with points when absent)."""
ANCHOR_NAME = "Opus"


@dataclass(frozen=True)
class Figure:
    """An image block: `src` relative to the page (Markdown `![alt](src)`, HTML <img>)."""

    src: str
    alt: str
    kind: ClassVar[str] = "figure"

    def markdown(self) -> str:
        return f"![{self.alt}]({self.src})"


def class_words(clip_class: str) -> str:
    return "all clips" if clip_class == ALL else clip_class


def _metric(name: str):
    from evals.metrics import all_metrics

    return all_metrics()[name]


def bd_cell(result: BdResult | None) -> Text:
    """ "+12 % [5.0 %, 20 %]", the number alone with why there is no interval, or the reason."""
    if result is None:
        return text("-")
    if result.percent is None:
        return text(note(result.reason))
    if result.interval is None:
        return text(signed(result.percent, "%"), " ", note(f"({result.reason})"))
    low, high = result.interval
    return text(signed(result.percent, "%"), " ", note(f"[{signed(low, '%')}, {signed(high, '%')}]"))


def _verdict_choice(report: RateReport, fam: str) -> tuple[str, str] | None:
    """(class, metric) of a family's sentence: `VERDICT_CLASS` (else all clips) and `VERDICT_METRIC`
    (else the first metric with points there); None when the family has no valued point."""
    cls = VERDICT_CLASS if VERDICT_CLASS in report.classes else ALL
    order = [VERDICT_METRIC, *(m for m in report.metrics if m != VERDICT_METRIC)]
    metric = next((m for m in order if report.curve(fam, cls, m)), None)
    return (cls, metric) if metric else None


def _nearest(points: list[RatePoint], kbps: float) -> RatePoint:
    return min(points, key=lambda p: abs(math.log(p.kbps / kbps)))


def verdict_sentence(report: RateReport, fam: str) -> str | None:
    """One plain sentence on a VAE family: its point nearest `VERDICT_RATE`, the rate at which the
    anchor reaches the same quality (interpolated on the anchor's curve, never extrapolated), and the
    BD-rate with its interval."""
    choice = _verdict_choice(report, fam)
    if choice is None:
        return None
    cls, metric = choice
    m = _metric(metric)
    point = _nearest(report.curve(fam, cls, metric), VERDICT_RATE)
    anchor = report.curve(report.anchor, cls, metric)
    what = f"{cls} {m.column}" if cls != ALL else f"{m.column} over all clips"
    value = readable(point.value, m.unit)
    head = f"{fam} at {readable(point.kbps)} kbit/s ({split_spec(point.spec)[1]}, {what} {value}): "
    if not anchor:
        return head + f"no {ANCHOR_NAME} points to compare with (run {report.anchor}:kbps=... beside it)."
    reach = rate_at_quality(
        [(p.kbps, float(quality(metric, p.value))) for p in anchor], float(quality(metric, point.value))
    )
    if reach.kbps is not None:
        said = f"{ANCHOR_NAME} reaches its {what} at {readable(reach.kbps)} kbit/s"
    elif reach.where == "not reached":
        top = readable(anchor[-1].kbps)
        said = f"{ANCHOR_NAME} does not reach it in the measured range (up to {top} kbit/s)"
    else:
        said = (
            f"{ANCHOR_NAME} stays above it (from its lowest rate measured, {readable(anchor[0].kbps)} kbit/s)"
        )
    bd = report.bd_result(fam, cls, metric)
    if bd is None or bd.percent is None:
        return head + said + f"; no BD-rate: {bd.reason if bd else 'not computed'}."
    return head + said + "; BD-rate " + bd_cell(bd).markdown() + "."


def verdict_sentences(report: RateReport) -> list[str]:
    """`verdict_sentence` of every VAE rate ladder with points (not the container's fixed quantisations)."""
    sentences = (
        verdict_sentence(report, f)
        for f in report.families()
        if f.startswith(TEST_PREFIX) and not is_container_sweep(f)
    )
    return [s for s in sentences if s]


def bd_explained(report: RateReport) -> Text:
    """How to read the BD-rate table."""
    field = "payload" if report.rate_field == "payload_kbps" else "whole-file"
    return text(
        "BD-rate of each VAE family against ",
        code(report.anchor),
        " (Bjøntegaard, pchip): the mean change in bit rate at equal quality over the quality range "
        f"both curves cover; negative = fewer bits than {ANCHOR_NAME}. Rates are measured ({field} "
        "kbit/s, mean over the clips); brackets: 95 % bootstrap interval over clips "
        f"({report.resamples} resamples, seed {report.seed}).",
    )


def bd_table(report: RateReport) -> Table | None:
    """Family x metric rows, one column per class (all clips first); None without BD-rates."""
    if not report.bd:
        return None
    rows = []
    for fam in dict.fromkeys(b.family for b in report.bd):
        for metric in report.metrics:
            cells = [bd_cell(report.bd_result(fam, c, metric)) for c in report.classes]
            rows.append([fam, _metric(metric).column, *cells])
    return Table(("family", "metric", *[class_words(c) for c in report.classes]), rows)


def no_bd_reason(report: RateReport) -> str:
    """Why a report has no BD-rates (empty when it has some)."""
    if report.bd:
        return ""
    families = report.families()
    if report.anchor not in families:
        return (
            f"No BD-rate: the run has no {report.anchor} points (the anchor); "
            f"run e.g. -m {report.anchor}:kbps=6 -m {report.anchor}:kbps=12 -m {report.anchor}:kbps=24."
        )
    return f"No BD-rate: the run has no VAE family ({TEST_PREFIX}...) with rate points."


def bd_blocks(report: RateReport, figure: str | None = None) -> list[Block]:
    """The BD-rate section: heading, the overview figure (`figure`: its path from the page), the
    explanation and the table (or why there is none)."""
    blocks: list[Block] = [Heading(2, text(f"Rate and quality: BD-rate against {ANCHOR_NAME}"))]
    if figure:
        blocks.append(Figure(figure, "quality against kbit/s, one line per codec family"))
    table = bd_table(report)
    blocks += [bd_explained(report), table] if table else [text(no_bd_reason(report))]
    return blocks


def points_table(report: RateReport) -> Table:
    """Every point: class (all clips first), family, rate setting, kbit/s, clips, the metrics' means."""
    by_spec: dict[tuple[str, str], dict[str, RatePoint]] = {}
    for p in report.points:
        by_spec.setdefault((p.clip_class, p.spec), {})[p.metric] = p
    order = sorted(
        by_spec.items(),
        key=lambda item: (
            report.classes.index(item[0][0]),
            split_spec(item[0][1])[0],
            next(iter(item[1].values())).kbps,
        ),
    )
    rows = []
    for (cls, spec), mine in order:
        first = next(iter(mine.values()))
        values = [readable(mine[m].value, _metric(m).unit) if m in mine else "-" for m in report.metrics]
        rows.append([class_words(cls), *split_spec(spec), readable(first.kbps), str(first.n_clips), *values])
    columns = ("class", "family", "setting", "kbit/s", "clips", *[_metric(m).column for m in report.metrics])
    return Table(columns, rows)


def rate_markdown(report: RateReport, run: str = "") -> str:
    """rate.md: the sentences, the BD-rate table, the points, the figures."""
    blocks: list[Block] = [Heading(1, text(f"Rate and quality{f': {run}' if run else ''}"))]
    sentences = verdict_sentences(report)
    if sentences:
        blocks.append(Bullets(tuple(sentences)))
    overview = report.figures[0] if report.figures else None
    blocks += bd_blocks(report, overview)
    blocks += [
        Heading(2, text("Points")),
        text(
            "One point per method spec with a measured rate: x the mean kbit/s over the class's clips "
            "(weighted by duration), y the metric's mean over its ok values. Families: the spec without "
            "its rate parameters (kbps, bits, mode, quant). BD-rate uses each curve's frontier: a point "
            "that costs more bits than another for no better quality is left off."
        ),
        points_table(report),
    ]
    if report.figures[1:]:
        blocks += [Heading(2, text("Figures")), Bullets(tuple(text(code(f)) for f in report.figures[1:]))]
    if "visqol_speech" in report.metrics:
        blocks.append(text(note(f"ViSQOL: {_metric('visqol_speech').description}")))
    return markdown(blocks)
