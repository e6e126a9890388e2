"""Writes an `Analysis` into the test's folder: listening.md (the tables), listening.json (the same
numbers) and listening-figures/ (box plots of the scores, all clips and per class)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

from evals.listening.analysis import ALL, Analysis, display
from evals.listening.folder import ANALYSIS_OUTPUTS, FIGURES_DIR, JSON_FILE, MD_FILE, clear
from evals.listening.layout import Layout
from evals.listening.stats import CONFIDENCE, RESAMPLES


def check_outputs(folder: Path, force: bool) -> None:
    """Refuses to replace an earlier analysis without `force` (which removes it, and nothing else)."""
    clear(folder, ANALYSIS_OUTPUTS, force, "pass --force to replace the earlier analysis")


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _interval(ci, digits: int = 1) -> str:
    return (
        "-" if ci is None or not all(map(math.isfinite, ci)) else f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"
    )


def markdown(analysis: Analysis, layout: Layout, figures: list[str]) -> str:
    """listening.md."""
    screening = analysis.screening
    clips = len({t.clip for t in layout.trials})
    lines = [
        f"# Listening test {analysis.test_id}",
        "",
        f"{len(analysis.listeners)} listener(s) rated {len(layout.trials)} trials ({clips} clips x "
        f"{len(layout.blocks)} block(s), {len(layout.methods)} method(s), {layout.rate} Hz audio); "
        f"{len(screening.kept)} kept after post-screening (ITU-R BS.1534-3).",
        "",
    ]
    if screening.excluded:
        lines += ["Excluded:", ""] + [f"- {e.listener}: {e.reason}" for e in screening.excluded] + [""]
    lines += [f"- {note}" for note in analysis.notes] + ([""] if analysis.notes else [])
    lines += [
        f"## Scores (0-100): mean with its {CONFIDENCE:.0%} interval (bootstrap over listeners and clips, "
        f"{RESAMPLES} resamples), median and interquartile range",
        "",
        "| class | condition | listeners | clips | mean | interval | median | IQR |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in sorted(analysis.conditions, key=lambda s: s.clip_class != ALL):  # all clips first
        lines.append(
            f"| {'all' if s.clip_class == ALL else s.clip_class} | {display(s.condition)} | {s.listeners} | "
            f"{s.clips} | {_number(s.mean)} | {_interval(s.ci)} | {_number(s.median)} | "
            f"{_number(s.quartiles[0])}-{_number(s.quartiles[1])} |"
        )
    lines += [
        "",
        "## The metrics against the listeners",
        "",
        "Each point is one (clip, method): the metric's value against the listeners' mean score (hidden "
        "reference and anchors left out). A lower-is-better metric is negated, so +1 always means "
        f"agreement. Intervals: {CONFIDENCE:.0%}, bootstrap over the points.",
        "",
        "| metric | class | points | Pearson r | interval | Spearman rho | interval |",
        "|---|---|---|---|---|---|---|",
    ]
    for a in analysis.agreement:
        c = a.correlation
        where = "all" if a.clip_class == ALL else a.clip_class
        if c is None:
            lines.append(f"| {a.metric} | {where} | <3 or constant | - | - | - | - |")
        else:
            lines.append(
                f"| {a.metric} | {where} | {c.n} | {_number(c.pearson, 2)} | {_interval(c.pearson_ci, 2)} | "
                f"{_number(c.spearman, 2)} | {_interval(c.spearman_ci, 2)} |"
            )
    lines += [
        "",
        "## Does each metric rank the methods as the listeners do?",
        "",
        "Kendall's tau between the methods' mean scores and their mean metric values (+1: the same order).",
        "",
        "| metric | methods | Kendall tau |",
        "|---|---|---|",
    ]
    lines += [f"| {r.metric} | {r.methods} | {_number(r.tau, 2)} |" for r in analysis.ranking]
    lines += ["", "## Figures", ""] + [f"![scores]({f})" for f in figures]
    return "\n".join(lines) + "\n"


def box_plots(analysis: Analysis, layout: Layout, folder: Path) -> list[str]:
    """One box plot of the scores per class (and all clips): FIGURES_DIR/scores-CLASS.png; the paths
    relative to `folder`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from evals.run_folder import method_folder

    (folder / FIGURES_DIR).mkdir()
    written = []
    for clip_class in dict.fromkeys(c for c, _ in analysis.scores):
        conditions = [c for (k, c) in analysis.scores if k == clip_class]
        fig, ax = plt.subplots(figsize=(max(5.0, 1.0 + 0.9 * len(conditions)), 4.0))
        ax.boxplot([analysis.scores[(clip_class, c)] for c in conditions], showmeans=True)
        ax.set_xticks(
            range(1, len(conditions) + 1), [display(c) for c in conditions], rotation=30, ha="right"
        )
        ax.set_ylim(0, 100)
        ax.set_ylabel("MUSHRA score")
        ax.set_title(
            f"{'all clips' if clip_class == ALL else clip_class}: {len(analysis.screening.kept)} listeners"
        )
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        name = f"{FIGURES_DIR}/scores-{'all' if clip_class == ALL else method_folder(clip_class)}.png"
        fig.savefig(folder / name, dpi=100)
        plt.close(fig)
        written.append(name)
    return written


def to_json(analysis: Analysis) -> dict:
    """listening.json: every number of listening.md."""
    data = asdict(analysis)
    data.pop("scores")
    data["screening"] = {
        "kept": [k.listener for k in analysis.screening.kept],
        "excluded": [asdict(e) for e in analysis.screening.excluded],
        "excused_trials": list(analysis.screening.excused_trials),
    }
    return _finite(data)


def _finite(value):
    """`value` with every NaN or infinity as None (JSON has neither), tuples as lists."""
    if isinstance(value, dict):
        return {key: _finite(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_report(analysis: Analysis, layout: Layout, folder: str | Path, force: bool = False) -> list[Path]:
    """Writes listening.md, listening.json and the figures into `folder`; returns their paths."""
    from evals.run_folder import write_atomic

    folder = Path(folder)
    check_outputs(folder, force)
    figures = box_plots(analysis, layout, folder)
    write_atomic(folder / JSON_FILE, json.dumps(to_json(analysis), indent=1) + "\n")
    write_atomic(folder / MD_FILE, markdown(analysis, layout, figures))
    return [folder / MD_FILE, folder / JSON_FILE, *(folder / f for f in figures)]
