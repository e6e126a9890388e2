"""What a reconstruction method is: `Method` (name, weights it needs, builder, delay) and `Coded`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Reconstruct = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Method:
    """name: CLI key; needs: weight subfolders; build(root, device, **params) -> reconstruct.

    delay: the output's delay in samples, declared where it is known by construction (0 for
    Griffin-Lim and every mel path: centred frames, output trimmed to the input); None when it must
    be measured once per run on the calibration signal (`evals.running.align.calibrate`), as for a
    neural vocoder, whose delay is a property of its weights.
    """

    name: str
    description: str
    needs: tuple[str, ...]
    build: Callable[..., Reconstruct]
    params: dict = field(default_factory=dict)
    delay: int | None = 0


@dataclass(frozen=True)
class Coded:
    """A reconstruction that went through a file: the wave `[N]` and what the file's bytes were.

    Attributes:
        wave: the decoded output `[N]` float32 at 16 kHz.
        num_bytes: the whole file as written (headers, tags, padding and checksums included).
        payload_bytes: the coded audio alone (the file less its container's overhead: Ogg pages and
            Opus headers, ID3/Xing tags, the `.al2c` header and checksum), or None when not known.
        nominal_kbps: the rate the method was asked for (a setting), or None; never used as the rate.
    """

    wave: np.ndarray
    num_bytes: int
    payload_bytes: int | None = None
    nominal_kbps: float | None = None
