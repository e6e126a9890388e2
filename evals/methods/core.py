"""The codec's own methods: `griffinlim`, `vae+griffinlim`, `vae+hifigan`, `copysynth`.

Each builder maps (weights root, device, **params) to a function `[N] -> [N]` (16 kHz, original gain).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from evals.methods.base import Coded, Method, Reconstruct


def _mel_then(vocoder) -> Reconstruct:
    """prep -> log-mel -> vocoder -> trim -> gain restore (no VAE)."""
    import torch

    from codec.constants import MIN_SAMPLES
    from codec.frontend import log_mel, prepare_waveform, restore_gain
    from codec.vocoders import vocode

    def reconstruct(wave: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(wave, dtype=np.float32))[None]
        prep = prepare_waveform(x)
        padded = torch.nn.functional.pad(prep.wave, (0, max(0, MIN_SAMPLES - x.shape[-1])))
        out = vocode(vocoder, log_mel(padded))[:, : x.shape[-1]]
        return restore_gain(out.cpu(), prep.scale, prep.offset)[0].numpy()

    return reconstruct


def griffinlim_builder(
    root: Path | None, device: str, n_iter: int = 32, momentum: float = 0.99
) -> Reconstruct:
    from codec.vocoders import GriffinLimVocoder

    return _mel_then(GriffinLimVocoder(n_iter=int(n_iter), momentum=float(momentum)).to(device))


def _copysynth(root: Path | None, device: str) -> Reconstruct:
    from codec.loading import load_hifigan
    from codec.vocoders import HifiGanVocoder

    return _mel_then(HifiGanVocoder(load_hifigan(root)).to(device))


def _codec(vocoder: str) -> Callable[..., Reconstruct]:
    def build(
        root: Path | None, device: str, griffinlim_iters: int = 32, quant: str = "none", entropy: str = "zlib"
    ) -> Reconstruct:
        """quant "none": the latent stays in memory (float32). Otherwise every clip goes through
        the `.al2c` container's bytes, and the reconstruction reports how many were written."""
        from codec.container import ENTROPY_CODERS, QUANTISATIONS
        from codec.errors import CodecError
        from codec.pipeline import Codec

        if quant != "none" and (quant not in QUANTISATIONS or entropy not in ENTROPY_CODERS):
            raise CodecError(
                f"quant must be none or one of {QUANTISATIONS}, entropy one of {ENTROPY_CODERS}; "
                f"got {quant!r}, {entropy!r}"
            )
        codec = Codec.from_pretrained(
            str(root), vocoder=vocoder, device=device, griffinlim_iters=int(griffinlim_iters)
        )
        if quant == "none":
            return lambda wave: codec.reconstruct(wave, 16000)

        def through_container(wave: np.ndarray) -> Coded:
            data = codec.pack(codec.encode(wave, 16000), quantisation=quant, entropy=entropy)
            return Coded(codec.decode(codec.unpack(data)), len(data))

        return through_container

    return build


CONTAINER_PARAMS = {"quant": "none", "entropy": "zlib"}
"""`quant=float32|float16|int8` sends each clip through the .al2c container and reports its bitrate."""
RATE_SWEEP = ("float32", "float16", "int8")


def core_methods() -> list[Method]:
    return [
        Method(
            "griffinlim",
            "AudioLDM2 log-mel -> Griffin-Lim (32 iterations, momentum 0.99); no VAE",
            (),
            griffinlim_builder,
            {"n_iter": 32, "momentum": 0.99},
        ),
        Method(
            "vae+griffinlim",
            "log-mel -> VAE -> log-mel -> Griffin-Lim (32 iterations)",
            ("vae",),
            _codec("griffinlim"),
            {"griffinlim_iters": 32, **CONTAINER_PARAMS},
        ),
        Method(
            "vae+hifigan",
            "log-mel -> VAE -> log-mel -> HiFi-GAN",
            ("vae", "vocoder"),
            _codec("hifigan"),
            dict(CONTAINER_PARAMS),
            delay=None,
        ),
        Method(
            "copysynth",
            "original log-mel -> HiFi-GAN (separates vocoder error from VAE error)",
            ("vocoder",),
            _copysynth,
            delay=None,
        ),
    ]
