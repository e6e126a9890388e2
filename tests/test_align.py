"""Lag estimation (evals.align): recovers known delays within the bound, returns equal lengths."""

import numpy as np
import pytest

from evals.align import MAX_LAG_SAMPLES, align, estimate_lag


@pytest.fixture(scope="module")
def noise() -> np.ndarray:
    return np.random.default_rng(0).normal(size=16000)


@pytest.mark.parametrize("delay", [0, 1, 37, 1120, -250, MAX_LAG_SAMPLES])
def test_known_delays_are_recovered_and_undone(noise, delay):
    shifted = np.roll(noise, delay)
    aligned = align(shifted, noise)
    assert aligned.lag == delay
    assert len(aligned.estimate) == len(aligned.reference)
    inner = slice(abs(delay), len(aligned.reference) - abs(delay))
    np.testing.assert_allclose(aligned.estimate[inner], aligned.reference[inner])


def test_search_is_bounded(noise):
    lag, _ = estimate_lag(np.roll(noise, 3000), noise, max_lag=2048)
    assert abs(lag) <= 2048


def test_polarity_flip_is_not_taken_for_a_lag(noise):
    lag, peak = estimate_lag(-noise, noise)
    assert peak < 0.1


def test_silent_input_gives_zero_peak(noise):
    assert estimate_lag(np.zeros_like(noise), noise)[1] == 0.0


def test_an_unreliable_peak_leaves_the_pair_unshifted(noise):
    unrelated = np.random.default_rng(5).normal(size=noise.shape)
    aligned = align(unrelated, noise)
    assert not aligned.reliable and aligned.lag == 0 and aligned.peak < 0.1
    assert len(aligned.estimate) == len(noise)
