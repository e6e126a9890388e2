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
    """A reconstruction that went through a container: the wave `[N]` and the bytes written."""

    wave: np.ndarray
    num_bytes: int
