"""A method's delay: one shift per method, never a per-clip guess; the per-clip lag is a diagnostic.

A codec's delay is a property of the codec. Per-clip cross-correlation of a phase-free
reconstruction (Griffin-Lim, any mel path) is noise: on the golden set, Griffin-Lim outputs gave
peaks of 0.11-0.37 at lags of -1077..+591 samples, and shifting by them doubled the log-mel L1.
So every clip of a method is shifted by the same delay, which comes from one of:

- "declared": known by construction (Griffin-Lim and every mel/STFT path with centred frames: 0);
- "calibrated": the method is run once per run on `calibration_signal()` and the cross-correlation
  of its output gives the delay, when the peak is strong (>= STRONG_PEAK); else 0, said so;
- "consensus": for outputs decoded elsewhere (`python -m evals score`), the lag that most clips
  with a strong peak agree on (a majority of all clips); else 0, said so;
- "given": set by the user (`--delay`).

Each record keeps its own estimate (lag, peak) and is flagged when a strong peak disagrees with
the method's delay. A weak peak never shifts anything.
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

import numpy as np
from scipy import signal

MAX_LAG_SAMPLES = 2048
"""Search bound (128 ms at 16 kHz): covers HiFi-GAN's 1120-sample offset with room to spare."""

STRONG_PEAK = 0.5
"""A normalised cross-correlation peak at or above this is a real delay: a delayed copy at 10 dB
SNR scores 0.95, while Griffin-Lim's random-phase outputs reach at most 0.37 on the golden set."""

CALIBRATION_SECONDS = 4.0


class Delay(NamedTuple):
    """A method's delay: output sample n + samples is input sample n (samples > 0: late)."""

    samples: int
    source: str  # "declared" | "calibrated" | "consensus" | "given" | "none found"
    detail: str = ""

    def to_json(self) -> dict:
        return {"samples": self.samples, "source": self.source, "detail": self.detail}


def estimate_lag(
    estimate: np.ndarray, reference: np.ndarray, max_lag: int = MAX_LAG_SAMPLES
) -> tuple[int, float]:
    """The lag in [-max_lag, max_lag] that maximises the cross-correlation.

    Args:
        estimate, reference: 1-D float arrays `[N_e]`, `[N_r]` (any lengths).
        max_lag: search bound in samples.

    Returns:
        (lag, peak): lag > 0 means the estimate is delayed; peak is the correlation at that lag
        normalised by the two signals' norms (0 when either is silent).
    """
    corr = signal.correlate(estimate, reference, mode="full", method="fft")
    lags = signal.correlation_lags(len(estimate), len(reference), mode="full")
    window = np.abs(lags) <= max_lag
    best = int(np.argmax(corr[window]))  # positive peak: a polarity flip is not a lag
    norm = np.linalg.norm(estimate) * np.linalg.norm(reference)
    lag = int(lags[window][best])
    return lag, float(corr[window][best] / norm) if norm > 0 else 0.0


def shift(estimate: np.ndarray, reference: np.ndarray, delay: int) -> tuple[np.ndarray, np.ndarray]:
    """Undoes `delay` (estimate `[N_e]` late by `delay` samples) and cuts both to the common length.

    Returns:
        (estimate, reference), equal lengths; both empty when the shift leaves no overlap (a delay of
        the clip's length or more, either sign), which the metrics skip ("no overlap").
    """
    if delay < 0 and -delay >= len(reference):  # the twin of estimate[delay:] being empty: no overlap
        return estimate[:0], reference[:0]
    est = estimate[delay:] if delay >= 0 else np.concatenate([np.zeros(-delay, estimate.dtype), estimate])
    length = min(len(est), len(reference))
    return est[:length], reference[:length]


def trim_to_common(estimate: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The raw pair, cut to the shorter length (no shift): what the reports compared."""
    return shift(estimate, reference, 0)


def disagrees(delay: int, lag: int | None, peak: float | None) -> bool:
    """A clip whose own strong peak points at another lag than its method's delay."""
    return lag is not None and peak is not None and peak >= STRONG_PEAK and lag != delay


def calibration_signal(seconds: float = CALIBRATION_SECONDS, seed: int = 0) -> np.ndarray:
    """A deterministic 16 kHz test signal `[16000 * seconds]` (float32, peak 0.5).

    Irregularly spaced, exponentially decaying noise bursts over a quiet log chirp: broadband,
    with sharp onsets, so any method that keeps phase gives one unambiguous correlation peak.
    """
    rng = np.random.default_rng(seed)
    n = int(16000 * seconds)
    t = np.arange(n) / 16000
    wave = 0.05 * signal.chirp(t, 100, t[-1], 7000, method="logarithmic")
    onsets = np.sort(rng.choice(np.arange(400, n - 4000), size=int(3 * seconds), replace=False))
    for onset in onsets:
        length = int(rng.integers(800, 4000))
        envelope = np.exp(-np.arange(length) / (length / 5))
        wave[onset : onset + length] += rng.normal(0, 1, length) * envelope
    return (0.5 * wave / np.abs(wave).max()).astype(np.float32)


def calibrate(reconstruct) -> Delay:
    """Runs `reconstruct` (wave `[N]` -> wave `[N]`, or a `Coded` holding it: a container's round
    trip) once on `calibration_signal()` and reads its delay."""
    probe = calibration_signal()
    out = reconstruct(probe)
    out = np.asarray(getattr(out, "wave", out), dtype=np.float64)
    lag, peak = estimate_lag(out, probe.astype(np.float64))
    if peak >= STRONG_PEAK:
        return Delay(lag, "calibrated", f"calibration signal: lag {lag} at peak {peak:.2f}")
    return Delay(
        0, "none found", f"calibration signal: peak {peak:.2f} < {STRONG_PEAK} (phase not kept): no shift"
    )


def consensus(lags: list[tuple[int, float]]) -> Delay:
    """One delay from per-clip (lag, peak) estimates: the lag most strong peaks agree on.

    It is taken only when the clips that agree on it are a majority of all clips; otherwise 0.
    """
    strong = [lag for lag, peak in lags if peak >= STRONG_PEAK]
    if strong:
        lag, votes = Counter(strong).most_common(1)[0]
        if votes * 2 > len(lags):
            return Delay(
                lag, "consensus", f"{votes} of {len(lags)} clips peak (>= {STRONG_PEAK}) at lag {lag}"
            )
    return Delay(
        0,
        "none found",
        f"{len(strong)} of {len(lags)} clips have a strong peak, no majority agrees: no shift",
    )
