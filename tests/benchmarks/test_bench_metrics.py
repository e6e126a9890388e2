"""Speed of every registered metric on one 10.24 s pair, and of scoring one pair with all of them.

The pair is a speech-like signal and a noisy, slightly filtered copy, so every metric has
something to measure (PESQ and STOI need voiced, utterance-like input).
"""

from __future__ import annotations

import numpy as np
import pytest

from evals.metrics import all_metrics
from evals.result import OK, evaluate
from evals.running.scoring import score_pair
from tests.benchmarks.harness import SECONDS, speech_like

pytestmark = pytest.mark.benchmark

ROUNDS = dict(rounds=5, warmup_rounds=1, iterations=1)


def pair(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(estimate, reference): float64 `[163680]` at 16 kHz."""
    reference = speech_like(1, seed=seed)[0].double().numpy()
    g = np.random.default_rng(seed)
    estimate = np.convolve(reference, [0.6, 0.3, 0.1], mode="same") + 0.01 * g.standard_normal(reference.size)
    return estimate, reference


def _speed(benchmark, audio_seconds: float) -> None:
    median = benchmark.stats.stats.median
    benchmark.extra_info.update(
        {
            "audio_seconds": audio_seconds,
            "median_s": median,
            "real_time_factor": median / audio_seconds,
            "audio_seconds_per_second": audio_seconds / median,
        }
    )


@pytest.mark.parametrize("name", sorted(all_metrics()))
def test_metric(benchmark, name):
    metric = all_metrics()[name]
    estimate, reference = pair()
    benchmark.group = "metric"

    def fresh():  # DNSMOS caches per estimate: time the model, not the cache
        from evals.metrics.mos import _dnsmos_cached

        _dnsmos_cached.cache_clear()
        return (metric, estimate, reference), {}

    result = benchmark.pedantic(
        evaluate, setup=fresh, rounds=ROUNDS["rounds"], warmup_rounds=ROUNDS["warmup_rounds"]
    )
    assert result.status == OK, result.reason  # a benchmark of a skipped metric measures nothing
    _speed(benchmark, SECONDS)


def test_score_pair_all_metrics(benchmark):
    estimate, reference = pair()
    benchmark.group = "scoring"
    benchmark.pedantic(score_pair, args=(estimate, reference), **ROUNDS)
    _speed(benchmark, SECONDS)
