"""The MUSHRA anchors meet ITU-R BS.1534-3's filter mask (measured with scipy.signal.freqz) at the
usual sample rates, and are not delayed."""

from __future__ import annotations

import numpy as np
import pytest

from evals.listening import anchors
from evals.listening.anchors import LOW, MID

RATES = [16000, 22050, 24000, 32000, 44100, 48000]


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("anchor", [LOW, MID], ids=lambda a: a.role)
def test_each_anchor_meets_the_mask(anchor, rate):
    check = anchors.measure(anchor, rate)
    assert check.ripple_db <= 0.1
    assert check.at_stop25_db is not None and check.at_stop25_db <= -25  # 8 kHz is 16 kHz audio's Nyquist
    if anchor.stop50_hz <= rate / 2:
        assert check.at_stop50_db is not None and check.at_stop50_db <= -50
    else:
        assert check.at_stop50_db is None
    assert anchors.mask_violations(anchor, rate) == []


def test_a_filter_that_misses_the_mask_is_named(monkeypatch):
    anchors.lowpass_taps.cache_clear()
    monkeypatch.setattr(anchors, "ATTENUATION_DB", 30.0)
    try:
        found = anchors.mask_violations(LOW, 48000)
    finally:
        anchors.lowpass_taps.cache_clear()
    assert any("4500 Hz" in f and "> -50 dB" in f for f in found), found


def test_the_anchors_keep_the_pass_band_in_place_and_remove_the_stop_band():
    rate = 48000
    t = np.arange(rate) / rate
    low_tone, high_tone = np.sin(2 * np.pi * 1000 * t), np.sin(2 * np.pi * 6000 * t)
    out = anchors.apply(LOW, low_tone + high_tone, rate)
    middle = slice(2000, -2000)  # away from the clip's edges
    assert out.shape == low_tone.shape
    assert np.max(np.abs(out[middle] - low_tone[middle])) < 0.01  # same phase: no delay
    assert np.max(np.abs(anchors.apply(MID, high_tone, rate)[middle] - high_tone[middle])) < 0.01


def test_at_16_khz_the_mid_anchor_is_nearly_transparent_and_says_so():
    assert MID.nearly_transparent(16000) and not MID.nearly_transparent(48000)
    assert not LOW.nearly_transparent(16000)
    assert MID.removes_nothing(14000) and len(anchors.lowpass_taps(MID, 14000)) == 1
