"""Static HTML pages of runs: open the file, no server, no network.

Every link is relative to the page (figures and audio sit in the run folder), and the page has no
script, no web font and no remote asset, so it works offline and from any copy of the folder. The pages
come from the autoescaped templates in `templates/` (`evals.reports.pages`).

- `run_report`: OUTDIR/report.html (the scorecard writes OUTDIR/scorecard.html with its table first):
  the results table, the metrics chart, the rate-quality chart, the listening tests recorded in
  RUN/listening-results/ (`evals.reports.listening_section.sections`), and per clip the original and each
  method's reconstruction side by side, each with its player and figure.
- `compare_report`: two runs side by side (`python -m evals compare A B --html OUT.html`), from a
  `ComparePage`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from evals.reports.blocks import Block, Bullets, Heading
from evals.reports.figures import metrics_chart, rate_quality_chart
from evals.reports.numbers import readable
from evals.reports.pages import render
from evals.reports.table import note, text
from evals.run_folder import REFERENCE, REPORT_FILE, audio_path, figure_path, figures_dir, write_atomic


@dataclass(frozen=True)
class ClipRow:
    """One row of a clip's table: who made the audio, its player's link and its figure's (None: absent)."""

    label: str
    audio: str | None
    image: str | None = None
    alt: str = ""


@dataclass(frozen=True)
class ComparedRun:
    """One side of a comparison page: its run folder (audio and figures are linked from it) and summary."""

    folder: Path
    summary: dict


@dataclass(frozen=True)
class ComparePage:
    """What a comparison page shows: runs A and B, the comparison's blocks, how many rows regressed, and
    the clips to show first (those that changed most)."""

    a: ComparedRun
    b: ComparedRun
    comparison: list[Block]
    regressions: int
    first: tuple[str, ...] = ()


def _href(target: Path, page_dir: Path) -> str:
    return quote(os.path.relpath(target, page_dir).replace(os.sep, "/"))


def _link(path: Path, page_dir: Path) -> str | None:
    return _href(path, page_dir) if path.is_file() else None


def results_blocks(summary: dict) -> list[Block]:
    """Methods x headline metrics (mean, n_ok/n) and x real time, the rate table, the skipped methods."""
    from evals.reports.markdown import rate_quality, results

    blocks: list[Block] = [results(summary)]
    rate = rate_quality(summary)
    if rate is not None:
        blocks.append(rate)
    skipped = [
        f"{m}: {i.get('reason', '')}" for m, i in summary["methods"].items() if i.get("status") != "ran"
    ]
    if skipped:
        blocks += [text("Skipped:"), Bullets(tuple(skipped))]
    return blocks


def headline_blocks(summary: dict) -> list[Block]:
    """A run's opening: what ran, then the grouped headline table with its legend."""
    from evals.reports.readable import headline_table, legend, run_verdict_lines

    return [
        *run_verdict_lines(summary),
        Heading(2, text("Headline metrics")),
        text(note(legend())),
        headline_table(summary["methods"]),
    ]


def _clip_sections(run_dir: Path, summary: dict, page_dir: Path, label: str = "") -> dict[str, list[ClipRow]]:
    """clip id -> rows (original, then each method that ran): name, player, figure."""
    ran = [m for m, i in summary["methods"].items() if i.get("status") == "ran"]
    out = {}
    for clip in summary["clips"]:
        cid = clip["id"]
        rows = [ClipRow(f"{label}original", _link(audio_path(run_dir, REFERENCE, cid), page_dir))]
        for m in ran:
            audio = _link(audio_path(run_dir, m, cid), page_dir)
            figure = _link(figure_path(run_dir, m, cid), page_dir)
            rows.append(ClipRow(f"{label}{m}", audio, figure, f"{m} on {cid}"))
        out[cid] = rows
    return out


def run_report(
    run_dir: Path,
    summary: dict,
    *,
    page: str = REPORT_FILE,
    title: str | None = None,
    preface: list[Block] | None = None,
) -> Path:
    """Writes `run_dir/page` (and the run's charts under `run_dir/figures/`); returns its path.

    `preface`: the blocks that open the page (the scorecard's); default: `headline_blocks`.
    """
    from evals.reports.listening_section import sections

    run_dir = Path(run_dir)
    figures = figures_dir(run_dir)
    figures.mkdir(exist_ok=True)
    charts = [
        metrics_chart(figures / "metrics.png", summary),
        rate_quality_chart(figures / "rate_quality.png", summary),
    ]
    clips = _clip_sections(run_dir, summary, run_dir)
    seconds = sum(c["seconds"] for c in summary["clips"])
    html = render(
        "run.html.j2",
        title=title or f"Evaluation run {summary['created']}",
        opening=preface or headline_blocks(summary),
        device=str(summary["environment"].get("device")),
        n_clips=len(summary["clips"]),
        seconds=readable(seconds),
        results=results_blocks(summary),
        charts=[{"src": _href(c, run_dir), "alt": c.stem} for c in charts if c is not None],
        listening=sections(run_dir),
        clips=[{"id": cid, "rows": rows} for cid, rows in clips.items()],
    )
    path = run_dir / page
    write_atomic(path, html)
    return path


def compare_report(out: Path, page: ComparePage) -> Path:
    """Writes `out`, one page with two runs side by side: the comparison's blocks, then per clip both
    runs' players and figures, the clips in `page.first` at the top (links relative to `out`, so keep
    the three together or move them alike)."""
    out = Path(out)
    page_dir = out.parent.resolve()
    a_clips = _clip_sections(Path(page.a.folder).resolve(), page.a.summary, page_dir, "A: ")
    b_clips = _clip_sections(Path(page.b.folder).resolve(), page.b.summary, page_dir, "B: ")
    order = list(dict.fromkeys([c for c in page.first if c in a_clips] + list(a_clips)))
    clips = [{"id": cid, "rows": a_clips[cid] + b_clips[cid][1:]} for cid in order if cid in b_clips]
    write_atomic(
        out,
        render(
            "compare.html.j2",
            title="Comparison",
            a=str(page.a.folder),
            b=str(page.b.folder),
            regressions=page.regressions,
            comparison=page.comparison,
            clips=clips,
        ),
    )
    return out
