"""Reconstruction methods the runner can score, by name.

Every method maps a 16 kHz mono float32 waveform `[N]` at its original gain to a waveform `[N]`
at the same rate and gain, so all metrics compare like with like. A method that needs weights
says which subfolders (`vae`, `vocoder`); when they cannot be found the runner skips it with the
loader's reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

Reconstruct = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Method:
    """name: CLI key; needs: weight subfolders; build(root, device) -> reconstruct function."""

    name: str
    description: str
    needs: tuple[str, ...]
    build: Callable[[Path | None, str], Reconstruct]


def _mel_then(vocoder) -> Reconstruct:
    """prep -> log-mel -> vocoder -> trim -> gain restore (no VAE)."""
    import torch

    from codec.constants import MIN_SAMPLES
    from codec.frontend import log_mel, prepare_waveform, restore_gain

    def reconstruct(wave: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(wave, dtype=np.float32))[None]
        prep = prepare_waveform(x)
        padded = torch.nn.functional.pad(prep.wave, (0, max(0, MIN_SAMPLES - x.shape[-1])))
        out = vocoder(log_mel(padded))[:, : x.shape[-1]]
        return restore_gain(out.cpu(), prep.scale, prep.offset)[0].numpy()

    return reconstruct


def _griffinlim(root: Path | None, device: str) -> Reconstruct:
    from codec.vocoders import GriffinLimVocoder

    return _mel_then(GriffinLimVocoder(n_iter=32, momentum=0.99).to(device))


def _copysynth(root: Path | None, device: str) -> Reconstruct:
    from codec.loading import load_hifigan
    from codec.vocoders import HifiGanVocoder

    return _mel_then(HifiGanVocoder(load_hifigan(root)).to(device))


def _codec(vocoder: str) -> Callable[[Path | None, str], Reconstruct]:
    def build(root: Path | None, device: str) -> Reconstruct:
        from codec.pipeline import Codec

        codec = Codec.from_pretrained(str(root), vocoder=vocoder, device=device)
        return lambda wave: codec.reconstruct(wave, 16000)

    return build


METHODS: dict[str, Method] = {m.name: m for m in [
    Method("griffinlim", "AudioLDM2 log-mel -> Griffin-Lim (32 iterations, momentum 0.99); no VAE, no weights",
           (), _griffinlim),
    Method("vae+griffinlim", "log-mel -> VAE -> log-mel -> Griffin-Lim (32 iterations)", ("vae",),
           _codec("griffinlim")),
    Method("vae+hifigan", "log-mel -> VAE -> log-mel -> HiFi-GAN", ("vae", "vocoder"), _codec("hifigan")),
    Method("copysynth", "original log-mel -> HiFi-GAN (separates vocoder error from VAE error)",
           ("vocoder",), _copysynth),
]}
