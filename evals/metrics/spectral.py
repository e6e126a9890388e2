"""STFT-domain distances (phase-blind, so meaningful for a mel codec).

Shared STFT: periodic Hann, centred with reflect padding, magnitude |STFT|.
"""

from __future__ import annotations

import numpy as np
import torch

from evals.registry import metric

MRSTFT_RESOLUTIONS = ((512, 128), (1024, 256), (2048, 512))
"""(n_fft = window length, hop) of the multi-resolution STFT distance."""

LSD_N_FFT, LSD_HOP = 2048, 512
_MAG_EPS = 1e-7
_POWER_EPS = 1e-10


def magnitude(wave: np.ndarray, n_fft: int, hop: int) -> torch.Tensor:
    """|STFT| `[n_fft // 2 + 1, frames]` (float64); short inputs are zero-padded to n_fft."""
    x = torch.from_numpy(np.asarray(wave, dtype=np.float64))
    if x.shape[0] <= n_fft // 2:
        x = torch.nn.functional.pad(x, (0, n_fft // 2 + 1 - x.shape[0]))
    window = torch.hann_window(n_fft, periodic=True, dtype=torch.float64)
    return torch.stft(
        x, n_fft, hop_length=hop, window=window, center=True, pad_mode="reflect", return_complex=True
    ).abs()


def log_spectral_distance(est_power: torch.Tensor, ref_power: torch.Tensor) -> float:
    """Mean over frames of sqrt(mean over bins of (10 log10(P_x / P_y))^2), in dB."""
    diff = 10.0 * torch.log10((ref_power + _POWER_EPS) / (est_power + _POWER_EPS))
    return float(torch.sqrt((diff**2).mean(dim=0)).mean())


@metric(
    "mrstft",
    phase_blind=True,
    higher_is_better=False,
    unit="",
    valid_range=(0.0, 1e3),
    tolerance=0.05,
    headline=6,
    label="MR-STFT",
)
def mrstft(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Multi-resolution STFT distance: mean over (n_fft, hop) in (512, 128), (1024, 256),
    (2048, 512) of spectral convergence ||S_x - S_y||_F / ||S_x||_F plus mean |ln(S_x + 1e-7) -
    ln(S_y + 1e-7)|, S the |STFT| (Hann, centred, reflect), x reference, y estimate."""
    total = 0.0
    for n_fft, hop in MRSTFT_RESOLUTIONS:
        ref, est = magnitude(reference, n_fft, hop), magnitude(estimate, n_fft, hop)
        convergence = torch.linalg.norm(ref - est) / torch.linalg.norm(ref)
        log_l1 = (torch.log(ref + _MAG_EPS) - torch.log(est + _MAG_EPS)).abs().mean()
        total += float(convergence + log_l1)
    return total / len(MRSTFT_RESOLUTIONS)


@metric(
    "lsd",
    phase_blind=True,
    higher_is_better=False,
    unit="dB",
    valid_range=(0.0, 1e3),
    tolerance=0.2,
    headline=8,
    label="LSD",
)
def lsd(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Log-spectral distance, whole band: STFT n_fft 2048, hop 512, power + 1e-10; per frame
    sqrt(mean over bins of (10 log10(P_x / P_y))^2), averaged over frames (dB)."""
    ref = magnitude(reference, LSD_N_FFT, LSD_HOP) ** 2
    est = magnitude(estimate, LSD_N_FFT, LSD_HOP) ** 2
    return log_spectral_distance(est, ref)
