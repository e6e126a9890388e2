"""Mel-domain metrics: the VAE's own objective and the AudioLDM authors' evaluation.

log_mel_*: AudioLDM2's front end (`codec.log_mel`: natural log, 64 bands, hop 160). Both signals
are scaled by the *reference's* AudioLDM2 prep gain (0.5 / peak after mean removal), so the
reference's log-mel is exactly what the VAE saw and the estimate is compared at the same scale.

mel_psnr / mel_ssim: as `haoheliu/audioldm_eval` computes them: first channel, mean removed,
clipped to [-1, 1]; STFT n_fft 512, hop 160, win 512 (reflect padding); slaney mel 64 bands
50-8000 Hz; log10 of the clamp at 1e-5; then x * 20 - 20, (x + 100) / 100, clipped to [0, 1].
PSNR with data range 1; SSIM (scikit-image defaults, 7x7 window) with data range the joint
max - min of both mels.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from evals.registry import SAMPLE_RATE, metric
from evals.result import MetricSkipped

_FRAMES_FOR_SSIM = 7


def _prepared_pair(estimate: np.ndarray, reference: np.ndarray) -> torch.Tensor:
    from codec.constants import MIN_SAMPLES

    centred = reference - reference.mean()
    gain = 0.5 / (np.abs(centred).max() + 1e-8)
    pair = np.stack([estimate - estimate.mean(), centred]) * gain
    length = max(pair.shape[1], MIN_SAMPLES)  # log_mel's reflect padding needs 513 samples
    return torch.from_numpy(np.pad(pair, ((0, 0), (0, length - pair.shape[1]))).astype(np.float32))


def _log_mels(estimate: np.ndarray, reference: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    from codec.frontend import log_mel

    mels = log_mel(_prepared_pair(estimate, reference))
    return mels[0], mels[1]


@metric(
    "log_mel_l1",
    phase_blind=True,
    higher_is_better=False,
    unit="ln",
    valid_range=(0.0, 100.0),
    tolerance=0.02,
    headline=5,
    label="log-mel L1",
)
def log_mel_l1(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Mean |log-mel(y) - log-mel(x)| on AudioLDM2's front end (natural log, [T, 64])."""
    est, ref = _log_mels(estimate, reference)
    return float((est - ref).abs().mean())


@metric(
    "log_mel_mse",
    phase_blind=True,
    higher_is_better=False,
    unit="ln^2",
    valid_range=(0.0, 1e4),
    tolerance=0.05,
)
def log_mel_mse(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Mean (log-mel(y) - log-mel(x))^2 on AudioLDM2's front end (natural log, [T, 64])."""
    est, ref = _log_mels(estimate, reference)
    return float(((est - ref) ** 2).mean())


@functools.lru_cache(maxsize=1)
def _eval_filterbank() -> torch.Tensor:
    import librosa

    basis = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=512, n_mels=64, fmin=50.0, fmax=8000.0)
    return torch.from_numpy(basis.astype(np.float32))


def audioldm_eval_mel(wave: np.ndarray) -> np.ndarray:
    """The AudioLDM evaluation's normalised mel `[64, T]` in [0, 1] (see the module docstring)."""
    x = torch.from_numpy(np.clip(wave - wave.mean(), -1.0, 1.0).astype(np.float32))
    spec = torch.stft(
        x,
        512,
        hop_length=160,
        win_length=512,
        window=torch.hann_window(512),
        center=True,
        pad_mode="reflect",
        return_complex=True,
    ).abs()
    mel = torch.log10(torch.clamp(_eval_filterbank() @ spec, min=1e-5)) * 20 - 20
    return torch.clamp((mel + 100) / 100, 0.0, 1.0).numpy().astype(np.float64)


@metric(
    "mel_psnr",
    phase_blind=True,
    higher_is_better=True,
    unit="dB",
    valid_range=(-50.0, 200.0),
    tolerance=0.3,
    min_seconds=0.05,
)
def mel_psnr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """PSNR of the AudioLDM-eval mel (data range 1): 10 log10(1 / mean (m_y - m_x)^2)."""
    from skimage.metrics import peak_signal_noise_ratio

    est, ref = audioldm_eval_mel(estimate), audioldm_eval_mel(reference)
    if np.array_equal(est, ref):
        raise MetricSkipped("identical mels: PSNR is infinite")
    return float(peak_signal_noise_ratio(ref, est, data_range=1.0))


@metric(
    "mel_ssim",
    phase_blind=True,
    higher_is_better=True,
    unit="",
    valid_range=(-1.0, 1.0),
    tolerance=0.01,
    min_seconds=_FRAMES_FOR_SSIM * 160 / SAMPLE_RATE,
)
def mel_ssim(estimate: np.ndarray, reference: np.ndarray) -> float:
    """SSIM of the AudioLDM-eval mels (scikit-image, 7x7), data range the joint max - min."""
    from skimage.metrics import structural_similarity

    est, ref = audioldm_eval_mel(estimate), audioldm_eval_mel(reference)
    data_range = max(est.max(), ref.max()) - min(est.min(), ref.min())
    if data_range <= 0:
        raise MetricSkipped("constant mels: SSIM is undefined")
    return float(structural_similarity(ref, est, data_range=data_range))
