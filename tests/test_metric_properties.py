"""Metamorphic properties of every registered metric, and hypothesis on bounded finite inputs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from codec.audio import to_mono_16k
from evals.metrics import all_metrics
from evals.result import ERROR, OK, SKIPPED, evaluate
from evals.running.scoring import score_pair
from tests.helpers import read_example

METRICS = all_metrics()
NOISE_LEVELS = (0.003, 0.03, 0.3)
INFINITE_AT_IDENTITY = {"snr_raw", "snr", "si_sdr", "mel_psnr"}
"""Identity gives +inf for these; they report 'skipped' with the reason instead of a number."""
NOT_MONOTONE_IN_NOISE = {"band_retention_low", "band_retention_mid", "band_retention_high"}
"""Retention rises with added noise (it rewards it); their band LSD is what falls."""
NO_REFERENCE = {"dnsmos_sig", "dnsmos_bak", "dnsmos_ovrl"}
"""DNSMOS judges the estimate alone: identity is not special to it, and small noise need not lower
SIG (it rates the speech, not the background). Its own properties are tested below."""
GAIN_INVARIANT = {"si_sdr", "stoi", "estoi", "pearson", "pearson_raw"}
GAIN_SENSITIVE = {"snr", "snr_raw", "mse_raw", "log_mel_l1", "lsd", "band_lsd_mid", "band_retention_mid"}
DELAY_SENSITIVE_RAW = {"snr_raw", "pearson_raw"}
DELAY_INVARIANT_ALIGNED = {"snr", "pearson", "si_sdr", "stoi", "estoi", "pesq_wb", "log_mel_l1", "lsd"}


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    wave, rate = read_example("speech_male_arctic_a0007")
    return to_mono_16k(wave, rate).astype(np.float64)[:48000]


def noisy(speech, level, seed=0):
    return speech + np.random.default_rng(seed).normal(0, level * np.abs(speech).max(), speech.shape)


def skip_without_its_runtime(name):
    """The lattice ViSQOL is skipped (NaN, with the reason) without its extra: nothing to check then."""
    from evals.metrics.mos import lattice_runtime_missing

    if name == "visqol_speech_lattice" and lattice_runtime_missing():
        pytest.skip(f"visqol_speech_lattice: {lattice_runtime_missing()}")


def better_or_equal(name, a, b):
    return a >= b - 1e-9 if METRICS[name].higher_is_better else a <= b + 1e-9


@pytest.mark.parametrize("name", sorted(set(METRICS) - NO_REFERENCE))
def test_identity_is_best(speech, name):
    skip_without_its_runtime(name)
    ident = evaluate(METRICS[name], speech, speech)
    if name in INFINITE_AT_IDENTITY:
        assert ident.status == SKIPPED and "infinite" in ident.reason
        return
    assert ident.status == OK, ident
    for level in NOISE_LEVELS:
        other = evaluate(METRICS[name], noisy(speech, level), speech)
        if name.startswith("band_retention_"):
            assert abs(ident.value - 100) <= abs(other.value - 100) + 1e-9
        else:
            assert better_or_equal(name, ident.value, other.value), (level, ident, other)


@pytest.mark.parametrize("name", sorted(set(METRICS) - NOT_MONOTONE_IN_NOISE - NO_REFERENCE))
def test_monotone_as_noise_is_added(speech, name):
    skip_without_its_runtime(name)
    values = [evaluate(METRICS[name], noisy(speech, level), speech).value for level in NOISE_LEVELS]
    for cleaner, dirtier in zip(values, values[1:]):
        assert better_or_equal(name, cleaner, dirtier), values
    assert values[0] != values[-1], f"{name} does not respond to noise: {values}"


DNSMOS_NOISE_DROP = 0.5
"""Loud white noise (30 % of the peak) must cost DNSMOS BAK and OVRL at least half a MOS point."""


def test_dnsmos_ignores_the_reference_and_punishes_loud_noise(speech):
    clean = {n: evaluate(METRICS[n], speech, speech).value for n in NO_REFERENCE}
    other_reference = {
        n: evaluate(METRICS[n], speech, noisy(speech, 0.3, seed=9)).value for n in NO_REFERENCE
    }
    assert clean == other_reference
    loud = {n: evaluate(METRICS[n], noisy(speech, 0.3), speech).value for n in NO_REFERENCE}
    for name in ("dnsmos_bak", "dnsmos_ovrl"):
        assert clean[name] - loud[name] >= DNSMOS_NOISE_DROP, (name, clean[name], loud[name])


def test_gain_moves_exactly_the_gain_sensitive_metrics(speech):
    estimate = noisy(speech, 0.03)
    base, quiet = score_pair(estimate, speech).metrics, score_pair(0.5 * estimate, speech).metrics
    for name in GAIN_INVARIANT:
        assert quiet[name].value == pytest.approx(base[name].value, abs=1e-6), name
    for name in GAIN_SENSITIVE:
        assert abs(quiet[name].value - base[name].value) > 1e-3, name


def test_delay_moves_raw_metrics_and_not_aligned_ones(speech):
    estimate = noisy(speech, 0.03)
    delay = 1120  # HiFi-GAN's 7-frame offset in the AudioLDM evaluation
    late = np.concatenate([np.zeros(delay), estimate])[: len(estimate)]
    base, shifted = score_pair(estimate, speech), score_pair(late, speech, delay=delay)
    assert shifted.lag_estimate == delay and base.lag_estimate == 0 and not shifted.lag_disagrees
    for name in DELAY_INVARIANT_ALIGNED:
        assert shifted.metrics[name].value == pytest.approx(base.metrics[name].value, rel=0.03, abs=0.02), (
            name
        )
    for name in DELAY_SENSITIVE_RAW:
        assert (
            abs(shifted.metrics[name].value - base.metrics[name].value) > 1.0 * (name == "snr_raw") + 0.1
        ), name


@settings(max_examples=25)
@given(
    arrays(np.float64, st.integers(1, 12_000), elements=st.floats(-1, 1, allow_nan=False)),
    arrays(np.float64, st.integers(1, 12_000), elements=st.floats(-1, 1, allow_nan=False)),
)
def test_bounded_finite_inputs_never_raise_and_ok_values_are_in_range(estimate, reference):
    result = score_pair(estimate, reference)
    for name, value in result.metrics.items():
        assert value.status in (OK, SKIPPED, ERROR)
        if value.status == OK:
            assert METRICS[name].in_range(value.value), (name, value)
        else:
            assert np.isnan(value.value) and value.reason, (name, value)
