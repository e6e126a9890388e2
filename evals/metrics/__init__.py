"""Metric families; importing this package registers every metric in `evals.registry.METRICS`.

`all_metrics()` is the one way to get them: it guarantees every family was imported.
"""

from evals.metrics import bands, mel, mos, perceptual, spectral, waveform  # noqa: F401  (registration)
from evals.registry import METRICS, Metric


def all_metrics() -> dict[str, Metric]:
    """Every registered metric, by name."""
    return METRICS


def cheap_metrics() -> list[str]:
    """Every metric but the expensive ones: what the golden values pin (see `Metric.expensive`)."""
    return [name for name, m in all_metrics().items() if not m.expensive]


def headline_metrics() -> list[str]:
    """The headline metrics in their table order (`Metric.headline`): the one list every report uses."""
    metrics = all_metrics()
    return sorted((n for n, m in metrics.items() if m.headline), key=lambda n: metrics[n].headline)
