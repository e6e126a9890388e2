"""`evals.running.bandwidth.audio_bandwidth`: the band an output kept, on known filters and on Opus."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from codec.audio import to_mono_16k
from codec.audio_files import read_audio
from evals.gating.golden_set import golden_clips
from evals.methods.baseline_codecs import opus_builder
from evals.running.align import calibrate, shift
from evals.running.bandwidth import BAND_HZ, audio_bandwidth


@pytest.fixture(scope="module")
def noise() -> np.ndarray:
    return np.random.default_rng(0).normal(0, 0.1, 4 * 16000)


def test_white_noise_keeps_the_whole_band(noise):
    assert audio_bandwidth(noise, noise) == 8000.0
    assert audio_bandwidth(0.5 * noise, noise) == 8000.0  # -6 dB everywhere is still kept


@pytest.mark.parametrize("order", [16, 24])
def test_noise_low_passed_at_4_khz_stops_at_4_khz(noise, order):
    """A zero-phase Butterworth at 4 kHz: the band above its cutoff is the last one kept."""
    low = signal.sosfiltfilt(signal.butter(order, 4000, fs=16000, output="sos"), noise)
    assert 4000.0 <= audio_bandwidth(low, noise) <= 4000.0 + BAND_HZ


def test_a_hole_in_the_middle_does_not_cut_the_band_short(noise):
    notch = signal.sosfiltfilt(signal.butter(8, [2000, 3000], "bandstop", fs=16000, output="sos"), noise)
    assert audio_bandwidth(notch, noise) == 8000.0


def test_too_short_or_silent_says_none(noise):
    assert audio_bandwidth(noise[:100], noise) is None
    assert audio_bandwidth(noise, np.zeros_like(noise)) is None
    assert audio_bandwidth(np.zeros_like(noise), noise) == 0.0


@pytest.mark.parametrize("kbps, low, high", [(6, 3750, 4500), (24, 7000, 8000)])
def test_opus_is_narrowband_at_6_kbps_and_wideband_at_24(kbps, low, high):
    """Opus picks narrowband (4 kHz audio) at 6 kbit/s and wideband (8 kHz) at 24; measured on these
    clips 4250-4500 Hz and 7500-8000 Hz (250 Hz bands: the codec's own roll-off is a band wide)."""
    reconstruct = opus_builder(None, "cpu", kbps=kbps)
    delay = calibrate(reconstruct).samples
    for clip in ["speech_male_arctic_a0007", "speech_female_arctic_a0009"]:
        wave = to_mono_16k(*read_audio(golden_clips()[clip]["path"]))
        estimate, reference = shift(reconstruct(wave).wave, wave, delay)
        assert low <= audio_bandwidth(estimate, reference) <= high, clip
