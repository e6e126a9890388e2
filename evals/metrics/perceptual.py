"""PESQ wide-band (`pesq`) and STOI / ESTOI (`pystoi`), with their failure modes caught.

pesq: 16 kHz only; raises NoUtterancesError (silent or non-speech reference), BufferTooShortError
(< 0.25 s), a bare ValueError on a silent estimate; never checks lengths (evaluate does).
Inputs longer than PESQ_MAX_SECONDS are refused (skipped, with the reason): very long inputs
have been reported to crash it; evaluate such files in shorter clips.
pystoi: resamples to 10 kHz inside (ignores everything above 5 kHz); returns 1e-5 with a warning
under about 0.4 s (reported here as skipped), raises under 256 samples at 10 kHz, and returns 0
for a silent signal (skipped here, by the silence preconditions).
"""

from __future__ import annotations

import warnings

import numpy as np

from evals.registry import SAMPLE_RATE, metric
from evals.result import MetricSkipped

PESQ_MAX_SECONDS = 120.0
STOI_MIN_SECONDS = 256 / 10_000


@metric(
    "pesq_wb",
    higher_is_better=True,
    unit="MOS-LQO",
    valid_range=(1.0, 4.65),
    min_seconds=0.25,
    max_seconds=PESQ_MAX_SECONDS,
    needs_estimate_signal=True,
    tolerance=0.05,
    headline=1,
    label="PESQ-WB",
)
def pesq_wb(estimate: np.ndarray, reference: np.ndarray) -> float:
    """PESQ wide-band (ITU-T P.862.2) from the `pesq` package at 16 kHz: 1.04 .. 4.64."""
    from pesq import NoUtterancesError, pesq

    try:
        return float(pesq(SAMPLE_RATE, reference.astype(np.float32), estimate.astype(np.float32), "wb"))
    except NoUtterancesError as err:
        raise MetricSkipped(f"PESQ found no utterances in the reference (non-speech?): {err!r}") from err


def _stoi(estimate: np.ndarray, reference: np.ndarray, extended: bool) -> float:
    from pystoi import stoi

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = stoi(reference, estimate, SAMPLE_RATE, extended=extended)
    if any("Not enough STFT frames" in str(w.message) for w in caught):
        raise MetricSkipped("too short for STOI after silent-frame removal (pystoi returns 1e-5)")
    return float(value)


@metric(
    "stoi",
    higher_is_better=True,
    unit="",
    valid_range=(-1.0, 1.0),
    min_seconds=STOI_MIN_SECONDS,
    needs_estimate_signal=True,
    tolerance=0.01,
    headline=2,
    label="STOI",
)
def stoi(estimate: np.ndarray, reference: np.ndarray) -> float:
    """STOI (Taal et al. 2011) from `pystoi` (resampled to 10 kHz inside; blind above 5 kHz)."""
    return _stoi(estimate, reference, extended=False)


@metric(
    "estoi",
    higher_is_better=True,
    unit="",
    valid_range=(-1.0, 1.0),
    min_seconds=STOI_MIN_SECONDS,
    needs_estimate_signal=True,
    tolerance=0.01,
)
def estoi(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Extended STOI (Jensen & Taal 2016) from `pystoi`."""
    return _stoi(estimate, reference, extended=True)
