"""Delays (evals.running.align): the lag estimate, the shift, calibration and consensus."""

import numpy as np
import pytest

from evals.running.align import (
    MAX_LAG_SAMPLES,
    STRONG_PEAK,
    calibrate,
    calibration_signal,
    consensus,
    disagrees,
    estimate_lag,
    shift,
)


@pytest.fixture(scope="module")
def noise() -> np.ndarray:
    return np.random.default_rng(0).normal(size=16000)


def delayed(x: np.ndarray, delay: int) -> np.ndarray:
    """x late by `delay` samples (early when negative), same length."""
    return (
        np.concatenate([np.zeros(delay), x])[: len(x)]
        if delay >= 0
        else np.concatenate([x[-delay:], np.zeros(-delay)])
    )


@pytest.mark.parametrize("delay", [0, 1, 37, 1120, -250, MAX_LAG_SAMPLES])
def test_known_delays_are_estimated_and_undone(noise, delay):
    late = delayed(noise, delay)
    lag, peak = estimate_lag(late, noise)
    assert lag == delay and peak > 0.8
    est, ref = shift(late, noise, lag)
    assert len(est) == len(ref)
    inner = slice(abs(delay), len(ref) - abs(delay))
    np.testing.assert_allclose(est[inner], ref[inner])


def test_search_is_bounded(noise):
    lag, _ = estimate_lag(np.roll(noise, 3000), noise, max_lag=2048)
    assert abs(lag) <= 2048


def test_polarity_flip_is_not_taken_for_a_lag(noise):
    _, peak = estimate_lag(-noise, noise)
    assert peak < 0.1


def test_silent_input_gives_zero_peak(noise):
    assert estimate_lag(np.zeros_like(noise), noise)[1] == 0.0


@pytest.mark.parametrize("delay", [1, 160, 800, 1120])
def test_calibration_recovers_a_delay_exactly_at_10_db_snr(delay):
    rng = np.random.default_rng(delay)

    def codec(wave):
        late = delayed(wave.astype(np.float64), delay)
        return late + rng.normal(0, np.sqrt(np.mean(late**2) / 10), late.shape)

    found = calibrate(codec)
    assert (found.samples, found.source) == (delay, "calibrated"), found


def test_calibration_reads_a_container_round_trip():
    """Rate-sweep methods return a `Coded` (the wave and the bytes written); calibration once failed
    on it ("float() argument must be ... not 'Coded'") and shifted nothing."""
    from evals.methods import Coded

    found = calibrate(lambda wave: Coded(delayed(wave.astype(np.float64), 160), 1000))
    assert (found.samples, found.source) == (160, "calibrated"), found


def test_calibration_of_a_phase_free_method_shifts_nothing():
    from evals.methods.core import griffinlim_builder

    found = calibrate(griffinlim_builder(None, "cpu"))
    assert found.samples == 0 and found.source == "none found", found


def test_calibration_signal_is_deterministic_and_bounded():
    a, b = calibration_signal(), calibration_signal()
    assert np.array_equal(a, b) and a.dtype == np.float32 and np.abs(a).max() == pytest.approx(0.5)


def test_consensus_needs_a_majority_of_strong_peaks():
    strong, weak = 0.9, STRONG_PEAK - 0.01
    assert consensus([(480, strong)] * 3 + [(12, weak)]).samples == 480
    assert consensus([(480, strong)] * 2 + [(12, weak)] * 2).samples == 0  # 2 of 4 is no majority
    assert consensus([(591, weak), (-1077, weak), (258, weak)]).samples == 0  # Griffin-Lim-like noise
    assert consensus([(480, strong), (481, strong), (482, strong)]).samples == 0


def test_a_strong_peak_elsewhere_is_flagged_and_a_weak_one_is_not():
    assert disagrees(0, 480, 0.9) and not disagrees(480, 480, 0.9) and not disagrees(0, 480, 0.3)
    assert not disagrees(0, None, None)
