"""Metric families; importing this package registers every metric in `evals.registry.METRICS`."""

from . import bands, mel, mos, perceptual, spectral, waveform  # noqa: F401
