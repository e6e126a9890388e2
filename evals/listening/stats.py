"""The numbers of the analysis: percentile-bootstrap intervals of a mean over listeners and clips
(both resampled, independently), and of the correlation between a metric and the listeners' scores.
Every bootstrap draws from a fixed seed, so an analysis repeats exactly."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95
RESAMPLES = 2000
SEED = 0
MIN_LISTENERS = 2
"""An interval over listeners needs at least two of them."""


def grand_mean(matrix: np.ndarray) -> float:
    """Mean of the rated cells of a listeners x clips matrix (NaN: not rated)."""
    return float(np.nanmean(matrix))


def mean_interval(
    matrix: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """`confidence` percentile-bootstrap interval of `grand_mean(matrix)`, resampling the rows
    (listeners) and the columns (clips) with replacement, independently; each resample's mean is
    over the cells it draws, counted as often as drawn."""
    rng = np.random.default_rng(seed)
    rows, cols = matrix.shape
    rated = ~np.isnan(matrix)
    values = np.where(rated, matrix, 0.0)
    row_counts = rng.multinomial(rows, np.full(rows, 1 / rows), size=resamples)
    col_counts = rng.multinomial(cols, np.full(cols, 1 / cols), size=resamples)
    total = np.einsum("bl,lc,bc->b", row_counts, values, col_counts)
    count = np.einsum("bl,lc,bc->b", row_counts, rated.astype(float), col_counts)
    means = total[count > 0] / count[count > 0]
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


@dataclass(frozen=True)
class Correlation:
    """Pearson's r and Spearman's rho of n points, each with its bootstrap interval (over points)."""

    n: int
    pearson: float
    pearson_ci: tuple[float, float]
    spearman: float
    spearman_ci: tuple[float, float]


def _rows_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x = x - x.mean(axis=1, keepdims=True)
    y = y - y.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (x * y).sum(axis=1) / np.sqrt((x * x).sum(axis=1) * (y * y).sum(axis=1))


def correlation(
    x: np.ndarray, y: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED, confidence: float = CONFIDENCE
) -> Correlation | None:
    """Pearson and Spearman (scipy.stats) of paired points, with percentile-bootstrap intervals over
    the points (resamples where either side is constant are left out); None with fewer than 3 points
    or a constant side."""
    from scipy import stats

    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    rng = np.random.default_rng(seed)
    index = rng.integers(0, x.size, size=(resamples, x.size))
    xs, ys = x[index], y[index]
    tail = (1 - confidence) / 2 * 100

    def interval(values: np.ndarray) -> tuple[float, float]:
        values = values[np.isfinite(values)]
        low, high = np.percentile(values, [tail, 100 - tail])
        return float(low), float(high)

    pearson = interval(_rows_pearson(xs, ys))
    spearman = interval(_rows_pearson(stats.rankdata(xs, axis=1), stats.rankdata(ys, axis=1)))
    return Correlation(
        int(x.size),
        float(stats.pearsonr(x, y).statistic),
        pearson,
        float(stats.spearmanr(x, y).statistic),
        spearman,
    )


def kendall(x: np.ndarray, y: np.ndarray) -> float | None:
    """Kendall's tau-b of two rankings (scipy.stats.kendalltau); None with fewer than 2 items or a tie
    throughout."""
    from scipy import stats

    if len(x) < 2:
        return None
    tau = stats.kendalltau(x, y).statistic
    return None if np.isnan(tau) else float(tau)
