"""AudioLDM2's front end: waveform prep and the 64-band natural-log mel spectrogram.

Exactly as AudioLDM2 computes it (`audioldm2/utilities/audio/stft.py`, `audioldm2/utils.py`):

    x [B, N] 16 kHz --(prep: x - mean, peak 0.5)--> STFT (n_fft 1024, hop 160, periodic Hann,
    centred, reflect pad 512) --> |.| (magnitude) --> slaney mel 64 x 513, 0-8 kHz
    --> log(clamp(., 1e-5)) --> [B, T, 64], T = N // 160 + 1

No dB, no /20, no [-1, 1] scaling and no mean/std after the log.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np
import torch

from .constants import (
    F_MAX,
    F_MIN,
    HOP_LENGTH,
    LOG_FLOOR,
    MIN_SAMPLES,
    N_FFT,
    N_MELS,
    PEAK,
    PEAK_EPS,
    SAMPLE_RATE,
    WIN_LENGTH,
)
from .errors import InvalidAudioError


class PreparedWave(NamedTuple):
    """A waveform after AudioLDM2's prep, with what undoes it: `original = wave * scale + offset`.

    Attributes:
        wave: float32 `[B, N]`, zero mean, peak 0.5 (all zeros for silent input).
        scale: float32 `[B]`, `(max|x - mean| + 1e-8) / 0.5`.
        offset: float32 `[B]`, the removed mean.
    """

    wave: torch.Tensor
    scale: torch.Tensor
    offset: torch.Tensor


def prepare_waveform(wave: torch.Tensor) -> PreparedWave:
    """AudioLDM2's waveform prep: remove the mean, scale the peak to 0.5, remember both.

    Args:
        wave: float `[B, N]` at 16 kHz.

    Returns:
        `PreparedWave`; `prepared.wave * scale[:, None] + offset[:, None]` restores the input.
    """
    _check_batch(wave, "prepare_waveform")
    wave = wave.to(torch.float32)
    offset = wave.mean(dim=-1)
    centred = wave - offset[:, None]
    scale = (centred.abs().amax(dim=-1) + PEAK_EPS) / PEAK
    return PreparedWave(centred / scale[:, None], scale, offset)


def restore_gain(wave: torch.Tensor, scale: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    """Undoes `prepare_waveform`: `[B, N] * scale[B] + offset[B]`."""
    return wave * scale[:, None].to(wave) + offset[:, None].to(wave)


def num_frames(num_samples: int) -> int:
    """Mel frames for `num_samples` samples: `num_samples // 160 + 1` (centred STFT)."""
    return num_samples // HOP_LENGTH + 1


def padded_length(num_samples: int, frame_multiple: int) -> int:
    """The smallest length >= `num_samples` (and >= 513) whose frame count divides evenly.

    The VAE down-samples time by `frame_multiple` (4 for AudioLDM2) and floors: T frames give
    floor(T / 4) latent rows, so frames past a multiple of 4 would be lost. Padding the *waveform*
    with zeros to this length (and trimming the output back) loses none.

    Args:
        num_samples: waveform length in samples.
        frame_multiple: the VAE's time down-sampling factor.

    Returns:
        L >= num_samples with `num_frames(L) % frame_multiple == 0` and L >= `MIN_SAMPLES`.
    """
    length = max(num_samples, MIN_SAMPLES)
    frames = num_frames(length)
    target = math.ceil(frames / frame_multiple) * frame_multiple
    return length if target == frames else (target - 1) * HOP_LENGTH


@functools.lru_cache(maxsize=8)
def mel_filterbank(device: torch.device = torch.device("cpu")) -> torch.Tensor:
    """librosa's slaney mel filterbank `[64, 513]` (float32), as AudioLDM2 builds it."""
    import librosa  # heavy import; only needed once per process

    basis = librosa.filters.mel(
        sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS, fmin=F_MIN, fmax=F_MAX, htk=False, norm="slaney"
    )
    return torch.from_numpy(basis.astype(np.float32)).to(device)


@functools.lru_cache(maxsize=8)
def hann_window(device: torch.device = torch.device("cpu")) -> torch.Tensor:
    """Periodic Hann window of 1024 samples (float32)."""
    return torch.hann_window(WIN_LENGTH, periodic=True, dtype=torch.float32, device=device)


def stft_magnitude(wave: torch.Tensor, center: bool = True) -> torch.Tensor:
    """|STFT| with AudioLDM2's settings.

    Args:
        wave: float32 `[B, N]`, N >= 513.
        center: reflect-pad 512 samples per side first (AudioLDM2); False for a segment that
            already carries its padding (the chunked front end).

    Returns:
        float32 `[B, 513, T]`, T = N // 160 + 1 (centred) or (N - 1024) // 160 + 1.
    """
    spec = torch.stft(
        wave,
        N_FFT,
        hop_length=HOP_LENGTH,
        win_length=WIN_LENGTH,
        window=hann_window(wave.device),
        center=center,
        pad_mode="reflect",
        return_complex=True,
    )
    return spec.abs()


def log_mel(wave: torch.Tensor, chunk_frames: int | None = None) -> torch.Tensor:
    """AudioLDM2's log-mel spectrogram of an already prepared 16 kHz waveform.

    Args:
        wave: float `[B, N]`, 16 kHz, mono, after `prepare_waveform`; N >= 513.
        chunk_frames: compute the STFT this many frames at a time (bounded memory for long
            audio; the same frames as one whole pass, since each frame only sees its own 1024
            samples). None: one pass.

    Returns:
        float32 `[B, T, 64]` (time, then mel bins), T = N // 160 + 1; natural log, floor
        log(1e-5) = -11.5129.

    Raises:
        InvalidAudioError: not 2-D, too short for the reflect padding, or not finite.
    """
    _check_batch(wave, "log_mel")
    if wave.shape[-1] < MIN_SAMPLES:
        raise InvalidAudioError(
            f"log_mel needs at least {MIN_SAMPLES} samples for the reflect padding of "
            f"{N_FFT // 2}; got {wave.shape[-1]}. Pad the waveform first (Codec.encode does)"
        )
    wave = wave.to(torch.float32)
    frames = num_frames(wave.shape[-1])
    if chunk_frames is None or frames <= chunk_frames:
        return _log_compress(stft_magnitude(wave))
    if chunk_frames < 1:
        raise ValueError(f"chunk_frames must be positive; got {chunk_frames}")
    half = N_FFT // 2
    padded = torch.nn.functional.pad(wave[:, None], (half, half), mode="reflect")[:, 0]
    pieces = []
    for first in range(0, frames, chunk_frames):
        last = min(frames, first + chunk_frames) - 1
        segment = padded[:, first * HOP_LENGTH : last * HOP_LENGTH + N_FFT]
        pieces.append(_log_compress(stft_magnitude(segment, center=False)))
    return torch.cat(pieces, dim=1)


def _log_compress(magnitude: torch.Tensor) -> torch.Tensor:
    """|STFT| `[B, 513, T]` -> natural-log slaney mel `[B, T, 64]` with the 1e-5 floor."""
    mel = torch.matmul(mel_filterbank(magnitude.device), magnitude)
    return torch.log(torch.clamp(mel, min=LOG_FLOOR)).transpose(1, 2).contiguous()


def _check_batch(wave: torch.Tensor, who: str) -> None:
    if not isinstance(wave, torch.Tensor):
        raise TypeError(f"{who} expects a torch.Tensor [B, N]; got {type(wave).__name__}")
    if wave.ndim != 2:
        raise InvalidAudioError(
            f"{who} expects a batch of mono waveforms [B, N]; got shape {list(wave.shape)}"
            + (" (use wave[None] for one clip)" if wave.ndim == 1 else "")
        )
    if not wave.is_floating_point():
        raise InvalidAudioError(f"{who} expects float samples; got {wave.dtype} (see codec.audio)")
    if not torch.isfinite(wave).all():
        raise InvalidAudioError(f"{who}: the waveform has NaN or Inf samples")
