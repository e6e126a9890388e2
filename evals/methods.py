"""Reconstruction methods the runner and the scorecard can score, by name.

Every method maps a 16 kHz mono float32 waveform `[N]` at its original gain to a waveform `[N]`
at the same rate and gain, so all metrics compare like with like. A method that needs weights
says which subfolders (`vae`, `vocoder`); when they cannot be found the runner skips it with the
loader's reason. Parameters have defaults and can be set by name: `NAME:key=value,key=value`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

Reconstruct = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Method:
    """name: CLI key; needs: weight subfolders; build(root, device, **params) -> reconstruct.

    delay: the output's delay in samples, declared where it is known by construction (0 for
    Griffin-Lim and every mel path: centred frames, output trimmed to the input); None when it must
    be measured once per run on the calibration signal (`evals.align.calibrate`), as for a
    neural vocoder, whose delay is a property of its weights.
    """

    name: str
    description: str
    needs: tuple[str, ...]
    build: Callable[..., Reconstruct]
    params: dict = field(default_factory=dict)
    delay: int | None = 0


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


def _griffinlim(root: Path | None, device: str, n_iter: int = 32, momentum: float = 0.99) -> Reconstruct:
    from codec.vocoders import GriffinLimVocoder

    return _mel_then(GriffinLimVocoder(n_iter=int(n_iter), momentum=float(momentum)).to(device))


def _copysynth(root: Path | None, device: str) -> Reconstruct:
    from codec.loading import load_hifigan
    from codec.vocoders import HifiGanVocoder

    return _mel_then(HifiGanVocoder(load_hifigan(root)).to(device))


def _codec(vocoder: str) -> Callable[..., Reconstruct]:
    def build(root: Path | None, device: str, griffinlim_iters: int = 32, quant: str = "none",
              entropy: str = "zlib") -> Reconstruct:
        """quant "none": the latent stays in memory (float32). Otherwise every clip goes through
        the `.al2c` container's bytes, and the reconstruction reports how many were written."""
        from codec.container import ENTROPY_CODERS, QUANTISATIONS
        from codec.errors import CodecError
        from codec.pipeline import Codec

        if quant != "none" and (quant not in QUANTISATIONS or entropy not in ENTROPY_CODERS):
            raise CodecError(f"quant must be none or one of {QUANTISATIONS}, entropy one of {ENTROPY_CODERS}; "
                             f"got {quant!r}, {entropy!r}")
        codec = Codec.from_pretrained(str(root), vocoder=vocoder, device=device,
                                      griffinlim_iters=int(griffinlim_iters))
        if quant == "none":
            return lambda wave: codec.reconstruct(wave, 16000)

        def through_container(wave: np.ndarray) -> Coded:
            data = codec.pack(codec.encode(wave, 16000), quantisation=quant, entropy=entropy)
            return Coded(codec.decode(codec.unpack(data)), len(data))

        return through_container

    return build


@dataclass(frozen=True)
class Coded:
    """A reconstruction that went through a container: the wave `[N]` and the bytes written."""

    wave: np.ndarray
    num_bytes: int


CONTAINER_PARAMS = {"quant": "none", "entropy": "zlib"}
"""`quant=float32|float16|int8` sends each clip through the .al2c container and reports its bitrate."""
RATE_SWEEP = ("float32", "float16", "int8")


def rate_sweep(specs: list[str]) -> list[str]:
    """Each method spec with a `quant` parameter, once per quantisation in `RATE_SWEEP` (others as given)."""
    out = []
    for spec in specs:
        name, _ = parse_method(spec)  # validates
        if "quant" not in METHODS[name].params:
            out.append(spec)
            continue
        rest = ",".join(i for i in spec.partition(":")[2].split(",") if i and not i.startswith("quant="))
        out += [f"{name}:quant={q}" + (f",{rest}" if rest else "") for q in RATE_SWEEP]
    return out


def _core_methods() -> list[Method]:
    return [
        Method("griffinlim", "AudioLDM2 log-mel -> Griffin-Lim (32 iterations, momentum 0.99); no VAE",
               (), _griffinlim, {"n_iter": 32, "momentum": 0.99}),
        Method("vae+griffinlim", "log-mel -> VAE -> log-mel -> Griffin-Lim (32 iterations)", ("vae",),
               _codec("griffinlim"), {"griffinlim_iters": 32, **CONTAINER_PARAMS}),
        Method("vae+hifigan", "log-mel -> VAE -> log-mel -> HiFi-GAN", ("vae", "vocoder"), _codec("hifigan"),
               dict(CONTAINER_PARAMS), delay=None),
        Method("copysynth", "original log-mel -> HiFi-GAN (separates vocoder error from VAE error)",
               ("vocoder",), _copysynth, delay=None),
    ]


def _all_methods() -> dict[str, Method]:
    from .report_methods import report_methods

    return {m.name: m for m in _core_methods() + report_methods()}


METHODS: dict[str, Method] = _all_methods()


def parse_method(spec: str) -> tuple[str, dict]:
    """`"name:key=value,key=value"` -> (name, params), values as float when they look numeric.

    Raises:
        ValueError: unknown method or parameter.
    """
    name, _, rest = spec.partition(":")
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose from {sorted(METHODS)}")
    params = {}
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep or key not in METHODS[name].params:
            raise ValueError(f"method {name!r} takes {sorted(METHODS[name].params) or 'no parameters'}; "
                             f"got {item!r}")
        params[key] = float(value) if value.replace(".", "", 1).lstrip("-").isdigit() else value
    return name, params
