"""Input conversion: PCM types, channel layout, down-mix, resampling (codec.audio)."""

import numpy as np
import pytest
import torch

from codec.audio import as_float_pcm, check_sample_rate, resampled_length, to_mono_16k
from codec.errors import InvalidAudioError


@pytest.mark.parametrize("dtype, full_scale", [(np.int8, 2**7), (np.int16, 2**15), (np.int32, 2**31)])
def test_signed_pcm_scales_to_unit_range(dtype, full_scale):
    wave = np.array([-full_scale, 0, full_scale // 2], dtype=dtype)
    np.testing.assert_allclose(as_float_pcm(wave)[0], [-1.0, 0.0, 0.5], atol=1e-6)


def test_unsigned_8bit_pcm_is_centred_on_128():
    np.testing.assert_allclose(as_float_pcm(np.array([0, 128, 192], np.uint8))[0], [-1, 0, 0.5])


def test_torch_and_float64_inputs_become_float32_channels_first():
    out = as_float_pcm(torch.zeros(2, 100, dtype=torch.float64))
    assert out.dtype == np.float32 and out.shape == (2, 100)


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.zeros((48000, 2), np.float32), r"looks like \[N, C\]"),
        (np.zeros((1, 2, 3), np.float32), r"\[N\] or \[C, N\]"),
        (np.zeros(0, np.float32), "no samples"),
        (np.array([0.0, np.nan], np.float32), "NaN or Inf"),
        (np.array([0.0, np.inf]), "NaN or Inf"),
        (np.array([1 + 1j]), "unsupported sample dtype"),
    ],
)
def test_bad_waveforms_are_refused_with_the_reason(bad, match):
    with pytest.raises(InvalidAudioError, match=match):
        as_float_pcm(bad)


@pytest.mark.parametrize("rate", [0, -16000, 44100.5, True, 10**7])
def test_bad_sample_rates_are_refused(rate):
    with pytest.raises(InvalidAudioError, match="sample_rate"):
        check_sample_rate(rate)


def test_downmix_is_the_channel_mean():
    left = np.sin(np.arange(16000) / 10).astype(np.float32)
    stereo = np.stack([left, np.zeros_like(left)])
    np.testing.assert_allclose(to_mono_16k(stereo, 16000), 0.5 * left, atol=1e-7)


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 32000, 44100, 48000, 96000])
def test_resampling_to_16k_keeps_duration_and_pitch(rate):
    t = np.arange(rate) / rate
    out = to_mono_16k(np.sin(2 * np.pi * 1000 * t).astype(np.float32), rate)
    assert out.shape == (resampled_length(rate, rate, 16000),) == (16000,)
    peak_hz = np.argmax(np.abs(np.fft.rfft(out))) * 16000 / len(out)
    assert abs(peak_hz - 1000) <= 1


def test_too_short_for_one_16k_sample_is_refused():
    with pytest.raises(InvalidAudioError, match="less than one sample"):
        to_mono_16k(np.zeros(2, np.float32), 96000)
