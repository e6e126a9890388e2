"""Waveform conversion: any PCM, any rate, any channel count -> 16 kHz mono float32.

Conventions:
    * Arrays and tensors are channels-first: `[N]` (mono) or `[C, N]`. Files read with
      `soundfile` are `[N, C]` and are transposed by `read_audio`.
    * Integer PCM is scaled to [-1, 1): int8 / int16 / int32 by 2**(bits-1), uint8 around 128.
    * Channels are down-mixed by their mean (AudioLDM2 itself keeps only the first channel; a
      codec should not throw a channel away).
    * Resampling uses `soxr` (VHQ), never hand-written code.
"""

from __future__ import annotations

import numpy as np
import soxr

from .constants import SAMPLE_RATE
from .errors import InvalidAudioError

MAX_CHANNELS = 64
"""More rows than this in a 2-D input means it is almost surely `[N, C]`, not `[C, N]`."""

MIN_SAMPLE_RATE = 1_000
MAX_SAMPLE_RATE = 768_000

_INT_SCALE = {np.dtype(np.int8): 2.0**7, np.dtype(np.int16): 2.0**15, np.dtype(np.int32): 2.0**31}


def as_float_pcm(wave) -> np.ndarray:
    """Converts PCM samples to a float32 array in channels-first layout.

    Args:
        wave: numpy array or torch tensor, `[N]` or `[C, N]`, of int8/int16/int32/uint8 PCM or
            float16/32/64 samples.

    Returns:
        float32 array `[C, N]` (C = 1 for mono input).

    Raises:
        InvalidAudioError: unsupported dtype, more than 2 dims, `[N, C]`-looking input, no samples,
            or NaN/Inf samples.
    """
    if hasattr(wave, "detach"):  # torch.Tensor, without importing torch here
        wave = wave.detach().cpu().numpy()
    wave = np.asarray(wave)
    if wave.ndim == 1:
        wave = wave[None, :]
    if wave.ndim != 2:
        raise InvalidAudioError(
            f"expected a waveform shaped [N] or [C, N] (channels first); got {wave.ndim}-D shape "
            f"{list(wave.shape)}"
        )
    channels, samples = wave.shape
    if channels > MAX_CHANNELS and samples <= MAX_CHANNELS:
        raise InvalidAudioError(
            f"waveform shape {list(wave.shape)} looks like [N, C] (samples first); pass it "
            f"channels first as [C, N], e.g. wave.T"
        )
    if channels > MAX_CHANNELS:
        raise InvalidAudioError(f"at most {MAX_CHANNELS} channels are supported; got {channels}")
    if samples == 0 or channels == 0:
        raise InvalidAudioError(f"the waveform has no samples (shape {list(wave.shape)})")
    return _to_float32(wave)


def _to_float32(wave: np.ndarray) -> np.ndarray:
    if wave.dtype in _INT_SCALE:
        return (wave.astype(np.float64) / _INT_SCALE[wave.dtype]).astype(np.float32)
    if wave.dtype == np.uint8:
        return ((wave.astype(np.float32) - 128.0) / 128.0).astype(np.float32)
    if wave.dtype.kind != "f":
        raise InvalidAudioError(
            f"unsupported sample dtype {wave.dtype}; use float16/32/64 or int8/16/32/uint8 PCM"
        )
    out = wave.astype(np.float32, copy=False)
    if not np.isfinite(out).all():
        bad = int((~np.isfinite(out)).sum())
        raise InvalidAudioError(
            f"the waveform has {bad} NaN or Inf samples; clean or drop them before encoding"
        )
    return out


def check_sample_rate(sample_rate) -> int:
    """Returns the sample rate as int; raises `InvalidAudioError` if it is not a sane positive rate."""
    if isinstance(sample_rate, bool) or not float(sample_rate).is_integer():
        raise InvalidAudioError(f"sample_rate must be a whole number of Hz; got {sample_rate!r}")
    rate = int(sample_rate)
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise InvalidAudioError(
            f"sample_rate must be between {MIN_SAMPLE_RATE} and {MAX_SAMPLE_RATE} Hz; got {rate}"
        )
    return rate


def resample(wave: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resamples with soxr (very high quality).

    Args:
        wave: float32 `[N]`.
        rate_in, rate_out: sample rates in Hz.

    Returns:
        float32 `[M]`, M = `resampled_length(N, rate_in, rate_out)`.
    """
    if rate_in == rate_out:
        return wave
    return soxr.resample(wave, rate_in, rate_out, quality="VHQ").astype(np.float32, copy=False)


def resampled_length(num_samples: int, rate_in: int, rate_out: int) -> int:
    """The number of samples `resample` returns for `num_samples` input samples."""
    if rate_in == rate_out:
        return num_samples
    return (2 * num_samples * rate_out + rate_in) // (2 * rate_in)  # round half up, like soxr


def fit_length(wave: np.ndarray, length: int) -> np.ndarray:
    """Trims or zero-pads the last axis of `wave` to exactly `length` samples."""
    if wave.shape[-1] >= length:
        return wave[..., :length]
    pad = [(0, 0)] * (wave.ndim - 1) + [(0, length - wave.shape[-1])]
    return np.pad(wave, pad)


def to_mono_16k(wave, sample_rate) -> np.ndarray:
    """Any waveform -> 16 kHz mono float32 (the codec's input domain).

    Args:
        wave: `[N]` or `[C, N]` PCM (see `as_float_pcm`).
        sample_rate: rate of `wave` in Hz.

    Returns:
        float32 `[M]`, M = `resampled_length(N, sample_rate, 16000)`.
    """
    rate = check_sample_rate(sample_rate)
    pcm = as_float_pcm(wave)
    mono = pcm[0] if pcm.shape[0] == 1 else pcm.mean(axis=0, dtype=np.float32)
    if resampled_length(mono.shape[0], rate, SAMPLE_RATE) == 0:
        raise InvalidAudioError(
            f"{mono.shape[0]} sample(s) at {rate} Hz is less than one sample at {SAMPLE_RATE} Hz"
        )
    return resample(mono, rate, SAMPLE_RATE)
