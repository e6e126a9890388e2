"""The metric registry: every metric with its metadata, so runners, reports and tests find it.

A metric is a pure function `fn(estimate, reference) -> float` on 1-D float arrays of equal
length at 16 kHz (the codec's domain). Register it with `@metric(...)`; the runner, the summary,
`compare` and the test suite's generic checks pick it up from `METRICS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16_000

MetricFn = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class Metric:
    """One registered metric.

    Attributes:
        name: unique key, used in files and on the command line.
        fn: `(estimate, reference) -> float`, both `[N]` float at `SAMPLE_RATE`.
        higher_is_better: direction, for `compare` and gates.
        unit: "dB", "%", "" (unitless), ...
        valid_range: a value outside it is reported as an error, never averaged in.
        family: the module's family ("waveform", "mel", "spectral", "bands", "perceptual").
        aligned: computed on the pair shifted by the method's delay (True) or on the raw output
            (False, as the reports did).
        phase_blind: depends on magnitudes only (mel, STFT, band metrics). Such a metric is never
            made worse by the shift: when the unshifted pair scores better, that value is kept and
            its reason says so (`evals.running.scoring`).
        min_seconds: shorter inputs are skipped with the reason.
        max_seconds: longer inputs are skipped with the reason (memory and library limits;
            evaluate long files in shorter clips).
        needs_reference_signal / needs_estimate_signal: a silent one is skipped with the reason.
        tolerance: the absolute change `compare` tolerates before calling it a regression.
        headline: the metric's column in every headline table (1 first; 0: not a headline metric).
            The scorecard, summaries, pages, charts, history and the rate tables show these metrics,
            in this order (`evals.metrics.headline_metrics`); nothing else lists them.
        label: the column title in the headline tables ("PESQ-WB"); the name when empty.
        expensive: seconds per clip (a learned model or a long search): left out of the golden
            value runs (`cheap_metrics`), computed in every `run`, `score` and scorecard.
        description: the first line of `fn`'s docstring (the exact definition is the docstring).
    """

    name: str
    fn: MetricFn
    higher_is_better: bool
    unit: str
    valid_range: tuple[float, float]
    family: str
    aligned: bool = True
    phase_blind: bool = False
    min_seconds: float = 0.0
    max_seconds: float = 600.0
    needs_reference_signal: bool = True
    needs_estimate_signal: bool = False
    tolerance: float = 0.0
    headline: int = 0
    label: str = ""
    expensive: bool = False

    @property
    def column(self) -> str:
        """The title of the metric's column in the headline tables."""
        return self.label or self.name

    @property
    def description(self) -> str:
        return (self.fn.__doc__ or "").strip().splitlines()[0] if self.fn.__doc__ else ""

    def worse_by(self, old: float, new: float) -> float:
        """How much worse `new` is than `old` (positive = worse); see `worse_by`."""
        return worse_by(self.name, old, new, self.higher_is_better)

    def in_range(self, value: float) -> bool:
        low, high = self.valid_range
        return math.isfinite(value) and low <= value <= high


def worse_by(name: str, old: float, new: float, higher_is_better: bool) -> float:
    """How much worse `new` is than `old` (positive = worse). Retention (`band_retention_*`) is
    best at 100 %, so it is judged by its distance to 100."""
    if name.startswith("band_retention_"):
        return abs(new - 100.0) - abs(old - 100.0)
    return old - new if higher_is_better else new - old


METRICS: dict[str, Metric] = {}


def metric(name: str, **meta) -> Callable[[MetricFn], MetricFn]:
    """Registers `fn` under `name` with the `Metric` metadata given as keywords."""

    def register(fn: MetricFn) -> MetricFn:
        if name in METRICS:
            raise ValueError(f"metric {name!r} is registered twice")
        METRICS[name] = Metric(name=name, fn=fn, family=fn.__module__.rsplit(".", 1)[-1], **meta)
        return fn

    return register
