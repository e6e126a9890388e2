"""Griffin-Lim phase reconstruction from a log-mel, in torch (no torchaudio: it has no CPU build here).

Mel inversion uses the Moore-Penrose pseudo-inverse of the slaney filterbank, clamped at 0
(librosa's NNLS is several times slower for a near-identical result: docs/measurements/timings.md);
phase recovery is the fast Griffin-Lim of Perraudin et al. (2013), the same update as
`librosa.griffinlim`:
    angles <- rebuilt - momentum / (1 + momentum) * previous_rebuilt, normalised to unit modulus.
"""

from __future__ import annotations

import functools

import torch

from .constants import HOP_LENGTH, N_FFT, WIN_LENGTH
from .frontend import hann_window, mel_filterbank

_EPS = 1e-16


@functools.lru_cache(maxsize=8)
def inverse_mel_filterbank(device: torch.device = torch.device("cpu")) -> torch.Tensor:
    """Pseudo-inverse of the mel filterbank: float32 `[513, 64]`."""
    basis = mel_filterbank(torch.device("cpu")).double()
    return torch.linalg.pinv(basis).float().to(device)


def mel_to_magnitude(mel: torch.Tensor) -> torch.Tensor:
    """Natural-log mel `[B, T, 64]` -> approximate STFT magnitude `[B, 513, T]` (>= 0)."""
    power = torch.exp(mel.float()).transpose(1, 2)  # [B, 64, T]
    return torch.clamp(torch.matmul(inverse_mel_filterbank(mel.device), power), min=0.0)


def _window(n_fft: int, device: torch.device) -> torch.Tensor:
    if n_fft == WIN_LENGTH:
        return hann_window(device)
    return torch.hann_window(n_fft, periodic=True, dtype=torch.float32, device=device)


def _stft(wave: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    return torch.stft(
        wave,
        n_fft,
        hop_length=hop,
        win_length=n_fft,
        window=_window(n_fft, wave.device),
        center=True,
        pad_mode="reflect",
        return_complex=True,
    )


def _istft(spec: torch.Tensor, length: int, n_fft: int, hop: int) -> torch.Tensor:
    return torch.istft(
        spec,
        n_fft,
        hop_length=hop,
        win_length=n_fft,
        window=_window(n_fft, spec.device),
        center=True,
        length=length,
    )


def griffin_lim(
    magnitude: torch.Tensor,
    *,
    n_iter: int = 32,
    momentum: float = 0.99,
    seed: int = 0,
    length: int | None = None,
    n_fft: int = N_FFT,
    hop: int = HOP_LENGTH,
) -> torch.Tensor:
    """Fast Griffin-Lim.

    Args:
        magnitude: float32 `[B, n_fft // 2 + 1, T]` STFT magnitude (default: AudioLDM2's STFT,
            n_fft 1024 = window, hop 160, periodic Hann, centred, reflect).
        n_iter: iterations (>= 0; 0 returns the random-phase inverse).
        momentum: 0 for the classic algorithm; 0.99 is librosa's default.
        seed: seeds the random initial phase (drawn on the CPU, so every device starts alike).
        length: output samples, any value with `length // hop + 1 == T` (the lengths whose
            centred STFT has T frames); default `hop * (T - 1)`.
        n_fft, hop: the STFT the magnitude came from (the window is n_fft long).

    Returns:
        float32 waveform `[B, length]`.
    """
    if n_iter < 0:
        raise ValueError(f"n_iter must be >= 0; got {n_iter}")
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"momentum must be in [0, 1); got {momentum}")
    frames = magnitude.shape[-1]
    if length is None:
        length = hop * (frames - 1)
    if length // hop + 1 != frames:
        raise ValueError(
            f"length {length} does not give {frames} STFT frames; use "
            f"{hop * (frames - 1)}..{hop * frames - 1}"
        )
    generator = torch.Generator().manual_seed(seed)
    phase = torch.rand(magnitude.shape, generator=generator) * (2 * torch.pi)
    angles = torch.polar(torch.ones_like(phase), phase).to(magnitude.device)
    previous = torch.zeros_like(angles)
    beta = momentum / (1.0 + momentum)
    for _ in range(n_iter):
        rebuilt = _stft(_istft(magnitude * angles, length, n_fft, hop), n_fft, hop)
        angles = rebuilt - beta * previous
        angles = angles / (angles.abs() + _EPS)
        previous = rebuilt
    return _istft(magnitude * angles, length, n_fft, hop)
