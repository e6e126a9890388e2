"""Methods that kill their own worker process, for the fault tests (`--plugin tests.fault_methods`).

    dies-once     SIGKILLs its worker the first time it sees a clip, then returns the input
    always-dies   SIGKILLs its worker on every clip
    slow-copy     sleeps 1 s, then returns the input (gives a run something to be killed during)

"First time" is remembered in marker files under `$EVALS_FAULT_DIR` (shared by all workers).
"""

from __future__ import annotations

import hashlib
import os
import signal
import time
from pathlib import Path

import numpy as np

from evals.methods import Method, register


def _marker(wave: np.ndarray) -> Path:
    digest = hashlib.sha256(np.ascontiguousarray(wave).tobytes()).hexdigest()[:16]
    return Path(os.environ["EVALS_FAULT_DIR"]) / digest


def _dies_once(root, device):
    def reconstruct(wave: np.ndarray) -> np.ndarray:
        marker = _marker(wave)
        if not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return wave.copy()

    return reconstruct


def _always_dies(root, device):
    def reconstruct(wave: np.ndarray) -> np.ndarray:
        os.kill(os.getpid(), signal.SIGKILL)
        return wave

    return reconstruct


def _slow_copy(root, device):
    def reconstruct(wave: np.ndarray) -> np.ndarray:
        time.sleep(1.0)
        return wave.copy()

    return reconstruct


register(Method("dies-once", "kills its worker the first time per clip (fault test)", (), _dies_once))
register(Method("always-dies", "kills its worker on every clip (fault test)", (), _always_dies))
register(Method("slow-copy", "returns the input after 1 s (fault test)", (), _slow_copy))
