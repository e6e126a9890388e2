"""Rate-quality figures of a `RateReport` (matplotlib, Agg; PNG), paths from `evals.run_folder`:

- RUN/rate/rate_overview.png: one panel per metric, over all clips (the scorecard page's first figure);
- RUN/rate/rate_METRIC.png: one per metric, a panel over all clips and one per class.

Each panel: the metric against measured kbit/s (log axis), one line per codec family through its
points in rate order, each point labelled with its rate setting. The title gives the metric's
direction and its definition (for ViSQOL: which MOS mapper).
"""

from __future__ import annotations

from pathlib import Path

from evals.reports.figures import _pyplot, panels
from evals.reports.rate_curves import ALL, split_spec
from evals.reports.rate_page import class_words
from evals.reports.rate_report import RateReport
from evals.run_folder import RATE_OVERVIEW, rate_figure_path

PANEL = (4.2, 3.2)
"""Inches per panel."""
TICKS = (0.5, 1, 2, 3, 6, 12, 24, 48, 96, 192, 384, 768, 1536)
"""kbit/s marked on the rate axis."""


def _panel(ax, report: RateReport, clip_class: str, metric: str, legend: bool) -> None:
    from evals.metrics import all_metrics

    m = all_metrics()[metric]
    for fam in report.families():
        pts = report.curve(fam, clip_class, metric)
        if not pts:
            continue
        line = ax.plot([p.kbps for p in pts], [p.value for p in pts], "o-", ms=4, lw=1.2, label=fam)[0]
        for p in pts:
            ax.annotate(split_spec(p.spec)[1], (p.kbps, p.value), fontsize=6, color=line.get_color())
    ax.set_xscale("log")
    _rate_ticks(ax)
    ax.set_xlabel(f"{'payload' if report.rate_field == 'payload_kbps' else 'file'} kbit/s", fontsize=8)
    arrow = "higher" if m.higher_is_better else "lower"
    ax.set_ylabel(f"{m.column}{f' ({m.unit})' if m.unit else ''}, {arrow} is better", fontsize=8)
    ax.tick_params(labelsize=7)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)


def _rate_ticks(ax) -> None:
    """Plain kbit/s labels at `TICKS` within the panel's range (no 10^x, no crowded minor labels)."""
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator, ScalarFormatter

    low, high = ax.get_xlim()
    ax.xaxis.set_major_locator(FixedLocator([t for t in TICKS if low <= t <= high]))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())


def _save(fig, path: Path) -> Path:
    from codec.atomic import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=72), force=True)
    _pyplot().close(fig)
    return path


def metric_figure(run_dir: Path, report: RateReport, metric: str) -> Path:
    """RUN/rate/rate_METRIC.png: all clips, then each class."""
    from evals.metrics import all_metrics

    plt = _pyplot()
    fig, axes = panels(plt, len(report.classes), PANEL)
    for i, (ax, clip_class) in enumerate(zip(axes, report.classes)):
        _panel(ax, report, clip_class, metric, legend=i == 0)
        ax.set_title(class_words(clip_class), fontsize=9)
    fig.suptitle(f"{all_metrics()[metric].column}: {all_metrics()[metric].description}", fontsize=8)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.16, top=0.84, wspace=0.3, hspace=0.4)
    return _save(fig, rate_figure_path(run_dir, metric))


def overview_figure(run_dir: Path, report: RateReport) -> Path:
    """RUN/rate/rate_overview.png: every metric over all clips."""
    from evals.metrics import all_metrics

    plt = _pyplot()
    fig, axes = panels(plt, len(report.metrics), PANEL)
    for i, (ax, metric) in enumerate(zip(axes, report.metrics)):
        _panel(ax, report, ALL, metric, legend=i == 0)
        ax.set_title(all_metrics()[metric].column, fontsize=9)
    fig.suptitle("Quality against measured kbit/s over all clips, one line per codec family", fontsize=9)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.1, top=0.9, wspace=0.35, hspace=0.45)
    return _save(fig, rate_figure_path(run_dir, RATE_OVERVIEW))


def rate_figures(run_dir: str | Path, report: RateReport) -> list[Path]:
    """Writes the overview and one figure per metric; returns their paths (the overview first)."""
    run_dir = Path(run_dir)
    return [overview_figure(run_dir, report), *(metric_figure(run_dir, report, m) for m in report.metrics)]
