"""Ratings -> `Analysis`: post-screening, then per condition (each method, the hidden reference and the
anchors), over all clips and per class, the mean score with a 95 % bootstrap interval over listeners
and clips, the median and quartiles; and how well each headline metric of the run agrees with the
listeners (Pearson and Spearman over (clip, method) means, Kendall's tau over the methods' means).

Metrics are oriented so that +1 means agreement: a lower-is-better metric is negated first.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from evals.listening import stats
from evals.listening.anchors import LOW, MID
from evals.listening.layout import FIXED, HIDDEN, Layout, ListeningError
from evals.listening.results import ListenerRatings
from evals.listening.screening import Screening, screen

ALL = "*"
"""The class name of all clips together."""
NAMES = {HIDDEN: "hidden reference", LOW.role: "anchor 3.5 kHz", MID.role: "anchor 7 kHz"}


def display(condition: str) -> str:
    """How reports name a condition."""
    return NAMES.get(condition, condition)


@dataclass(frozen=True)
class ConditionStats:
    """One condition's scores over one class (`ALL`: every clip)."""

    condition: str
    clip_class: str
    listeners: int
    clips: int
    n: int
    mean: float
    ci: tuple[float, float]
    median: float
    quartiles: tuple[float, float]


@dataclass(frozen=True)
class Agreement:
    """A metric against the listeners' mean score per (clip, method), over one class."""

    metric: str
    clip_class: str
    correlation: stats.Correlation | None


@dataclass(frozen=True)
class Ranking:
    """Whether a metric orders the methods (their means over all clips) as the listeners do."""

    metric: str
    methods: int
    tau: float | None


@dataclass(frozen=True)
class Analysis:
    test_id: str
    listeners: tuple[str, ...]
    screening: Screening
    conditions: tuple[ConditionStats, ...]
    agreement: tuple[Agreement, ...]
    ranking: tuple[Ranking, ...]
    notes: tuple[str, ...]
    scores: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    """(class, condition) -> every rated cell (listener x clip), for the box plots."""


def score_matrix(listeners, layout: Layout, condition: str, clips: list[str]) -> np.ndarray:
    """listeners x clips: each listener's score of `condition` on each clip (the mean over the blocks
    where a clip comes more than once, as the hidden reference and anchors do); NaN where not rated."""
    trials = {t.id: t.clip for t in layout.trials}
    column = {clip: i for i, clip in enumerate(clips)}
    total = np.zeros((len(listeners), len(clips)))
    count = np.zeros_like(total)
    for row, listener in enumerate(listeners):
        for (trial, cond), value in listener.scores.items():
            if cond == condition and trials[trial] in column:
                total[row, column[trials[trial]]] += value
                count[row, column[trials[trial]]] += 1
    with np.errstate(invalid="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _condition_stats(condition, clip_class, matrix, resamples) -> ConditionStats | None:
    keep_rows = ~np.all(np.isnan(matrix), axis=1)
    keep_cols = ~np.all(np.isnan(matrix), axis=0)
    matrix = matrix[keep_rows][:, keep_cols]
    if matrix.size == 0:
        return None
    cells = matrix[~np.isnan(matrix)]
    q1, median, q3 = np.percentile(cells, [25, 50, 75])
    ci = (
        stats.mean_interval(matrix, resamples) if matrix.shape[0] >= stats.MIN_LISTENERS else (np.nan, np.nan)
    )
    return ConditionStats(
        condition,
        clip_class,
        int(matrix.shape[0]),
        int(matrix.shape[1]),
        int(cells.size),
        stats.grand_mean(matrix),
        ci,
        float(median),
        (float(q1), float(q3)),
    )


def analyse(layout: Layout, listeners: list[ListenerRatings], resamples: int = stats.RESAMPLES) -> Analysis:
    """The analysis of `listeners`' ratings of the test `layout`; `ListeningError` when fewer than
    `stats.MIN_LISTENERS` are left after post-screening."""
    from evals.metrics import all_metrics

    screening = screen(listeners)
    kept = list(screening.kept)
    if len(kept) < stats.MIN_LISTENERS:
        gone = "; ".join(f"{e.listener}: {e.reason}" for e in screening.excluded) or "none excluded"
        raise ListeningError(
            f"{len(kept)} listener(s) left after post-screening of {len(listeners)} ({gone}); an interval "
            f"over listeners needs at least {stats.MIN_LISTENERS}: collect more ratings"
        )
    clips = list(dict.fromkeys(t.clip for t in layout.trials))
    class_of = {t.clip: t.clip_class for t in layout.trials}
    classes = [ALL, *sorted(set(class_of.values()))]
    members = {c: clips if c == ALL else [k for k in clips if class_of[k] == c] for c in classes}
    conditions, scores = [], {}
    means: dict[tuple[str, str], float] = {}  # (clip, method) -> mean over listeners
    for condition in (*layout.methods, *FIXED):
        matrix = score_matrix(kept, layout, condition, clips)
        with warnings.catch_warnings():  # a clip nobody rated is NaN, as meant
            warnings.simplefilter("ignore", RuntimeWarning)
            column_means = np.nanmean(matrix, axis=0)
        for clip, value in zip(clips, column_means):
            if np.isfinite(value):
                means[(clip, condition)] = float(value)
        for clip_class in classes:
            sub = matrix[:, [clips.index(k) for k in members[clip_class]]]
            found = _condition_stats(condition, clip_class, sub, resamples)
            if found:
                conditions.append(found)
                scores[(clip_class, condition)] = sub[~np.isnan(sub)]
    registry = all_metrics()
    names = list(dict.fromkeys(n for per in layout.metrics.values() for m in per.values() for n in m))
    names = [n for n in names if n in registry]
    agreement, ranking = [], []
    for name in names:
        sign = 1.0 if registry[name].higher_is_better else -1.0
        points = [
            (clip, method, sign * layout.metrics[clip][method][name], means[(clip, method)])
            for clip in clips
            for method in layout.methods
            if (clip, method) in means and name in layout.metrics.get(clip, {}).get(method, {})
        ]
        for clip_class in classes:
            chosen = [p for p in points if clip_class == ALL or class_of[p[0]] == clip_class]
            found = stats.correlation([p[2] for p in chosen], [p[3] for p in chosen], resamples)
            agreement.append(Agreement(name, clip_class, found))
        by_method = {m: [(p[2], p[3]) for p in points if p[1] == m] for m in layout.methods}
        by_method = {m: v for m, v in by_method.items() if v}
        tau = stats.kendall(
            [np.mean([v[1] for v in values]) for values in by_method.values()],
            [np.mean([v[0] for v in values]) for values in by_method.values()],
        )
        ranking.append(Ranking(name, len(by_method), tau))
    return Analysis(
        layout.test_id,
        tuple(listener.listener for listener in listeners),
        screening,
        tuple(conditions),
        tuple(agreement),
        tuple(ranking),
        _notes(layout, listeners, screening),
        scores,
    )


def _notes(layout: Layout, listeners, screening: Screening) -> tuple[str, ...]:
    notes = []
    if MID.nearly_transparent(layout.rate):
        notes.append(
            f"The audio is {layout.rate / 1000:g} kHz, so the 7 kHz anchor removes only "
            f"{MID.passband_hz / 1000:g}-{layout.rate / 2000:g} kHz and is nearly transparent: it does not "
            "mark the middle of the scale, and post-screening's mid-anchor rule excuses the trials where "
            "more than 25 % of listeners rate it above 90."
        )
    if screening.excused_trials:
        notes.append(
            f"{len(screening.excused_trials)} trial(s) excused from the mid-anchor rule (more than 25 % "
            f"of listeners rated the anchor above 90): {', '.join(screening.excused_trials)}."
        )
    partial = [listener.listener for listener in listeners if not listener.complete]
    if partial:
        notes.append(f"Not finished (their ratings so far are used): {', '.join(partial)}.")
    return tuple(notes)
