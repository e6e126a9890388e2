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
        root: Path | None,
        device: str,
        griffinlim_iters: int = 32,
        quant: str = "none",
        entropy: str = "zlib",
        bits: float | str = "none",
    ) -> Reconstruct:
        """quant "none" and bits "none": the latent stays in memory (float32). Otherwise every clip
        goes through the `.al2c` container's bytes (`quant=float32|float16|int8` with `entropy`, or
        `bits=B`, the rate ladder: per channel uniform steps, range-coded), and the reconstruction
        reports the bytes written and the coded latent's (`codec.container.payload_bytes`)."""
        from codec.container import ENTROPY_CODERS, LADDER, QUANTISATIONS, payload_bytes
        from codec.errors import CodecError
        from codec.latent_coding import check_bits
        from codec.pipeline import Codec

        fixed = tuple(q for q in QUANTISATIONS if q != LADDER[0])
        coders = tuple(e for e in ENTROPY_CODERS if e != LADDER[1])
        if bits != "none":
            bits = check_bits(bits)
            if quant != "none":
                raise CodecError(f"bits sets the quantisation (uniform, range-coded); drop quant={quant}")
        elif quant != "none" and (quant not in fixed or entropy not in coders):
            raise CodecError(
                f"quant must be none or one of {fixed}, entropy one of {coders}; got {quant!r}, {entropy!r}"
            )
        codec = Codec.from_pretrained(
            str(root), vocoder=vocoder, device=device, griffinlim_iters=int(griffinlim_iters)
        )
        if quant == "none" and bits == "none":
            return lambda wave: codec.reconstruct(wave, 16000)
        setting = dict(bits=bits) if bits != "none" else dict(quantisation=quant, entropy=entropy)

        def through_container(wave: np.ndarray) -> Coded:
            data = codec.pack(codec.encode(wave, 16000), **setting)
            decoded = codec.decode(codec.unpack(data))
            return Coded(decoded, len(data), payload_bytes=payload_bytes(data))

        return through_container

    return build


CONTAINER_PARAMS = {"quant": "none", "entropy": "zlib", "bits": "none"}
"""`quant=float32|float16|int8` (with `entropy`) or `bits=B` (the rate ladder, B from 1 to 12) sends
each clip through the .al2c container and reports its bitrate."""
RATE_SWEEP = ("float32", "float16", "int8")
LADDER_SWEEP = (1, 2, 3, 4, 6, 8, 10, 12)
"""The rate ladder's settings measured in docs/codec.md (about 3 to 25 kbit/s on the golden clips)."""


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
