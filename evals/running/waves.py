"""What the read and reconstruct tasks hand to the score task: a 16 kHz wave, or why there is none.

These stay on the workers (Dask moves them between tasks); only the record reaches the driver.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, eq=False)
class Audio:
    """A clip read for scoring: `wave` `[N]` float32 at 16 kHz, or None and `error` saying why;
    `sha256`: of the file's bytes (what identifies the audio in the records), "" when not known."""

    wave: np.ndarray | None
    error: str = ""
    sha256: str = field(default="", kw_only=True)

    @property
    def ok(self) -> bool:
        return self.wave is not None


@dataclass(frozen=True, eq=False)
class Reconstruction(Audio):
    """One clip through one method (or an estimate read from disk by `score`).

    Attributes:
        wave: the output `[N]` float32 at 16 kHz, or None (then `error` says why).
        seconds: wall time of the reconstruction (0.0 when none ran).
        bytes: size of the file the clip went through, or None (no file).
        payload_bytes: the coded audio in that file, its container's overhead left out, or None.
        nominal_kbps: the rate the method was asked for, or None (a setting, not a measurement).
    """

    seconds: float = 0.0
    bytes: int | None = None
    payload_bytes: int | None = None
    nominal_kbps: float | None = None

    @classmethod
    def failed(cls, error: str) -> Reconstruction:
        """No output, for `error`."""
        return cls(None, error)
