"""Speed of every registered metric on one 10.24 s pair, and of scoring a batch of pairs.

The pair is a speech-like signal and a noisy, slightly filtered copy, so every metric has
something to measure (PESQ and STOI need voiced, utterance-like input).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from evals.registry import all_metrics
from evals.result import OK, evaluate
from evals.scoring import score_many, score_pair
from tests.benchmarks.harness import SECONDS, speech_like

pytestmark = pytest.mark.benchmark

ROUNDS = dict(rounds=5, warmup_rounds=1, iterations=1)
PAIRS = 8


def pair(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(estimate, reference): float64 `[163680]` at 16 kHz."""
    reference = speech_like(1, seed=seed)[0].double().numpy()
    g = np.random.default_rng(seed)
    estimate = np.convolve(reference, [0.6, 0.3, 0.1], mode="same") + 0.01 * g.standard_normal(reference.size)
    return estimate, reference


def _speed(benchmark, audio_seconds: float) -> None:
    median = benchmark.stats.stats.median
    benchmark.extra_info.update({"audio_seconds": audio_seconds, "median_s": median,
                                 "real_time_factor": median / audio_seconds,
                                 "audio_seconds_per_second": audio_seconds / median})


@pytest.mark.parametrize("name", sorted(all_metrics()))
def test_metric(benchmark, name):
    metric = all_metrics()[name]
    estimate, reference = pair()
    benchmark.group = "metric"

    def fresh():  # DNSMOS caches per estimate: time the model, not the cache
        from evals.metrics.mos import _dnsmos_cached

        _dnsmos_cached.cache_clear()
        return (metric, estimate, reference), {}

    result = benchmark.pedantic(evaluate, setup=fresh, rounds=ROUNDS["rounds"], warmup_rounds=ROUNDS["warmup_rounds"])
    assert result.status == OK, result.reason  # a benchmark of a skipped metric measures nothing
    _speed(benchmark, SECONDS)


def test_score_pair_all_metrics(benchmark):
    estimate, reference = pair()
    benchmark.group = "scoring"
    benchmark.pedantic(score_pair, args=(estimate, reference), **ROUNDS)
    _speed(benchmark, SECONDS)


def test_score_many_on_every_core(benchmark):
    pairs = [pair(seed) for seed in range(PAIRS)]
    jobs = torch.get_num_threads()
    benchmark.group = "scoring"
    benchmark.pedantic(score_many, args=(pairs, jobs), rounds=2, warmup_rounds=0, iterations=1)
    benchmark.extra_info["jobs"] = jobs
    _speed(benchmark, SECONDS * PAIRS)
