"""Vocoders behind one interface: log-mel `[B, T, 64]` -> waveform `[B, 160 * T]` at 16 kHz.

Every vocoder returns exactly `160 * T` samples (one hop per frame), so the codec can trim to
the original length whatever the vocoder.
"""

from __future__ import annotations

import math
from typing import Protocol

import torch

from .constants import HOP_LENGTH, N_MELS, SAMPLE_RATE
from .errors import IncompatibleModelError
from .griffinlim import griffin_lim, mel_to_magnitude
from .layout import check_mel_layout


class Vocoder(Protocol):
    """log-mel `[B, T, n_mels]` -> float32 waveform `[B, 160 * T]` (16 kHz, peak ~0.5 scale)."""

    name: str
    n_mels: int

    def __call__(self, mel: torch.Tensor) -> torch.Tensor: ...

    def to(self, device) -> Vocoder: ...


HALF_ON_CPU = (
    "a float16 HiFi-GAN on a CPU: CPU float16 convolutions are about 4x slower than float32 and no more "
    "accurate (measured with the reference vocoder: 3.7x the time, output within 0.13 % RMS); "
    "load the vocoder "
    "in float32 on a CPU (dtype=torch.float32) and use float16 on a GPU only"
)


def vocode(vocoder: Vocoder, mel: torch.Tensor) -> torch.Tensor:
    """`vocoder(mel)` with the interface checked: log-mel `[B, T, 64]` -> float32 `[B, 160 * T]`.

    Raises:
        IncompatibleModelError: the vocoder returned another shape or dtype (e.g. HiFi-GAN's untrimmed
            `160 T + 32` samples), which would shift or stretch everything after it.
    """
    wave = vocoder(mel)
    expected = (mel.shape[0], HOP_LENGTH * mel.shape[1])
    if tuple(wave.shape) != expected or wave.dtype != torch.float32:
        raise IncompatibleModelError(
            f"the {vocoder.name} vocoder returned {wave.shape[-1]} samples for {mel.shape[1]} frames, not "
            f"160 x {mel.shape[1]} = {expected[1]} (shape {list(wave.shape)}, {wave.dtype}; "
            f"the interface is float32 "
            f"{list(expected)}): AudioLDM2's HiFi-GAN returns 160 T + 32 samples, "
            "of which the first 160 T line "
            f"up with the input; trim the rest"
        )
    return wave


class HifiGanVocoder:
    """AudioLDM2's HiFi-GAN (`transformers.SpeechT5HifiGan`, subfolder `vocoder`).

    Args:
        model: a `SpeechT5HifiGan` with AudioLDM2's interface (64 mel bins, 16 kHz, hop 160).
        dtype: compute dtype; output is float32.
    """

    name = "hifigan"

    def __init__(self, model, dtype: torch.dtype = torch.float32):
        cfg = model.config
        hop = math.prod(cfg.upsample_rates)
        if cfg.model_in_dim != N_MELS or hop != HOP_LENGTH or cfg.sampling_rate != SAMPLE_RATE:
            raise IncompatibleModelError(
                f"the vocoder must take {N_MELS} mel bins at {SAMPLE_RATE} Hz with hop "
                f"{HOP_LENGTH}; this one has model_in_dim={cfg.model_in_dim}, "
                f"sampling_rate={cfg.sampling_rate}, hop={hop}"
            )
        if model.dtype != dtype:
            model = model.to(dtype=dtype)
        self.model = model.eval().requires_grad_(False)
        self.n_mels = cfg.model_in_dim
        self.dtype = dtype

    def to(self, device) -> HifiGanVocoder:
        self.model.to(device)
        return self

    @torch.inference_mode()
    def __call__(self, mel: torch.Tensor) -> torch.Tensor:
        """log-mel `[B, T, 64]` -> float32 `[B, 160 * T]` (the model's extra 32 samples trimmed).

        Raises:
            LayoutError: `mel` is not `[B, T, 64]`.
            IncompatibleModelError: a float16 model on a CPU (see `HALF_ON_CPU`).
        """
        check_mel_layout(mel, self.n_mels, "HiFi-GAN vocoder")
        device = next(self.model.parameters()).device
        if device.type == "cpu" and self.dtype == torch.float16:
            raise IncompatibleModelError(HALF_ON_CPU)
        wave = self.model(mel.to(device=device, dtype=self.dtype))
        return wave[:, : HOP_LENGTH * mel.shape[1]].float()


class GriffinLimVocoder:
    """Pseudo-inverse mel inversion + fast Griffin-Lim; needs no weights.

    Args:
        n_iter: Griffin-Lim iterations.
        momentum: 0.99 (fast Griffin-Lim) by default; 0 for the classic algorithm.
        seed: seeds the initial phase, so output is deterministic.
    """

    name = "griffinlim"
    n_mels = N_MELS

    def __init__(self, n_iter: int = 32, momentum: float = 0.99, seed: int = 0):
        if n_iter < 0 or not 0.0 <= momentum < 1.0:
            raise ValueError(f"need n_iter >= 0 and 0 <= momentum < 1; got {n_iter}, {momentum}")
        self.n_iter, self.momentum, self.seed = n_iter, momentum, seed
        self.device = torch.device("cpu")

    def to(self, device) -> GriffinLimVocoder:
        self.device = torch.device(device)
        return self

    @torch.inference_mode()
    def __call__(self, mel: torch.Tensor) -> torch.Tensor:
        """log-mel `[B, T, 64]` -> float32 `[B, 160 * T]`."""
        check_mel_layout(mel, self.n_mels, "Griffin-Lim vocoder")
        frames = mel.shape[1]
        magnitude = mel_to_magnitude(mel.to(self.device))
        # The longest waveform whose centred STFT has T frames is 160*T - 1 samples; one zero
        # sample pads it to the common 160*T.
        wave = griffin_lim(
            magnitude,
            n_iter=self.n_iter,
            momentum=self.momentum,
            seed=self.seed,
            length=HOP_LENGTH * frames - 1,
        )
        return torch.nn.functional.pad(wave, (0, 1))
