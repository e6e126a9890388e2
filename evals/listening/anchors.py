"""The MUSHRA anchors of ITU-R BS.1534-3: the original low-passed at 3.5 kHz (low anchor) and 7 kHz (mid
anchor), made here with a linear-phase FIR applied centred, so the anchors are not delayed.

The Recommendation's mask for the 3.5 kHz filter: pass-band ripple within 0.1 dB up to 3.5 kHz, at
least 25 dB down at 4 kHz and 50 dB at 4.5 kHz; the 7 kHz filter scaled by 2 (25 dB at 8 kHz, 50 dB
at 9 kHz) where the sample rate reaches those frequencies. The filters here are Kaiser-window FIRs
with their stop band starting at the 25 dB point and 60 dB of attenuation there, so they meet the
50 dB point with room to spare (`mask_violations` checks a filter against its mask).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

ATTENUATION_DB = 60.0
"""The FIR's design attenuation from the 25 dB point on (the mask asks 25, then 50)."""


@dataclass(frozen=True)
class Anchor:
    """A low-pass anchor: its role name in the test, pass-band edge and the mask's two stop points."""

    role: str
    passband_hz: float
    stop25_hz: float
    stop50_hz: float
    label: str

    def nearly_transparent(self, rate: int) -> bool:
        """Whether at `rate` the band it removes is less than the stop band the mask gives it: the
        band above the pass-band edge is narrower than the transition (16 kHz audio and the 7 kHz
        anchor: it removes 7-8 kHz only), so listeners hardly hear it."""
        return rate / 2 <= self.stop50_hz

    def removes_nothing(self, rate: int) -> bool:
        """Whether the audio holds nothing above the pass-band edge (the anchor is the original)."""
        return rate / 2 <= self.passband_hz


LOW = Anchor("anchor_low", 3500.0, 4000.0, 4500.0, "3.5 kHz low-pass (low anchor)")
MID = Anchor("anchor_mid", 7000.0, 8000.0, 9000.0, "7 kHz low-pass (mid anchor)")
ANCHORS = (LOW, MID)


@cache
def lowpass_taps(anchor: Anchor, rate: int) -> np.ndarray:
    """The anchor's FIR at `rate`: odd length (linear phase, a whole-sample delay that `apply` removes),
    cut-off midway between the pass-band edge and the 25 dB point; a single tap (identity) when the
    audio holds nothing above the pass band."""
    from scipy import signal

    nyquist = rate / 2
    if anchor.removes_nothing(rate):
        return np.ones(1)
    stop = min(anchor.stop25_hz, nyquist)
    width = (stop - anchor.passband_hz) / nyquist
    numtaps, beta = signal.kaiserord(ATTENUATION_DB, width)
    numtaps |= 1  # odd: a type I filter, free at Nyquist, centred on a whole sample
    cutoff = (anchor.passband_hz + stop) / 2
    return signal.firwin(numtaps, cutoff, window=("kaiser", beta), fs=rate)


def apply(anchor: Anchor, audio: np.ndarray, rate: int) -> np.ndarray:
    """`audio` (1-D) low-passed by the anchor's filter, same length, not delayed (the FIR's centre tap
    lines up with each output sample; the edges see zeros beyond the clip)."""
    from scipy import signal

    taps = lowpass_taps(anchor, rate)
    return signal.oaconvolve(np.asarray(audio, dtype=np.float64), taps, mode="same")


@dataclass(frozen=True)
class MaskCheck:
    """A filter's measured response at the mask's points (dB; None where above Nyquist)."""

    ripple_db: float
    at_stop25_db: float | None
    at_stop50_db: float | None


def measure(anchor: Anchor, rate: int, points: int = 1 << 15) -> MaskCheck:
    """The response of the anchor's filter at `rate` (scipy.signal.freqz on a fine grid): peak-to-peak
    ripple over the pass band, and the gain at (and above) each stop point the rate reaches."""
    from scipy import signal

    freqs, response = signal.freqz(lowpass_taps(anchor, rate), worN=points, fs=rate, include_nyquist=True)
    gain = 20 * np.log10(np.maximum(np.abs(response), 1e-12))
    passband = gain[freqs <= anchor.passband_hz]

    def worst_from(hz: float) -> float | None:
        above = gain[freqs >= hz]
        return float(above.max()) if hz <= rate / 2 and above.size else None

    ripple = float(passband.max() - passband.min())
    return MaskCheck(ripple, worst_from(anchor.stop25_hz), worst_from(anchor.stop50_hz))


def mask_violations(anchor: Anchor, rate: int) -> list[str]:
    """What of BS.1534-3's mask the filter misses at `rate` (empty: it meets it)."""
    if anchor.removes_nothing(rate):
        return []
    check = measure(anchor, rate)
    found = []
    if check.ripple_db > 0.1:
        found.append(f"pass-band ripple {check.ripple_db:.3f} dB > 0.1 dB")
    if check.at_stop25_db is not None and check.at_stop25_db > -25:
        found.append(f"{check.at_stop25_db:.1f} dB at {anchor.stop25_hz:.0f} Hz and above (> -25 dB)")
    if check.at_stop50_db is not None and check.at_stop50_db > -50:
        found.append(f"{check.at_stop50_db:.1f} dB at {anchor.stop50_hz:.0f} Hz and above (> -50 dB)")
    return found
