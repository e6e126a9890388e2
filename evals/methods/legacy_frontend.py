"""The reports' own preprocessing, kept as a named legacy method so the scorecard shows what the
fix is worth. This is WRONG on purpose; never use it for anything else.

As their code reads (reports 000, 001 and 004):
    mel = librosa.feature.melspectrogram(y, sr=16000, n_mels=64, hop_length=160, n_fft=1024)
                                                # power mel, librosa's default constant padding
    db = librosa.power_to_db(mel, ref=np.max)   # dB re the clip's maximum, floor -80 dB
    x = db / 20                                 # [-4, 0]
    x = 2 (x - min) / (max - min) - 1           # "normalised to [-1, 1]"
    VAE input [1, 1, 64, T] (mel bins on the VAE's time axis), latent_dist.sample()
    decode -> [1, 1, 64, 4 floor(T / 4)] (the last frames are lost) -> undo the scaling ->
    librosa.feature.inverse.mel_to_audio (NNLS + 32 Griffin-Lim iterations, momentum 0.99;
    run as mel_to_stft + griffinlim so the random phase is seeded)
Guessed where they are silent: the inverse clips the decoded values to their [-1, 1] range
before undoing the scaling (without it a VAE output outside that range becomes powers of 1e20
and librosa's NNLS runs for minutes), re-uses the stored min/max and the clip's maximum power
(so the level is restored), and the posterior draw is seeded (seed 0) for reproducibility.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

SAMPLE_RATE, N_FFT, HOP, N_MELS = 16_000, 1024, 160, 64


class LegacyMel(NamedTuple):
    """x: float32 `[1, 1, 64, T]` in [-1, 1]; what undoes the scaling."""

    x: np.ndarray
    low: float
    high: float
    ref_power: float


def legacy_mel(wave: np.ndarray) -> LegacyMel:
    """The reports' VAE input for a 16 kHz waveform `[N]`."""
    import librosa

    mel = librosa.feature.melspectrogram(
        y=wave.astype(np.float32), sr=SAMPLE_RATE, n_mels=N_MELS, hop_length=HOP, n_fft=N_FFT
    )
    ref_power = float(mel.max())
    scaled = librosa.power_to_db(mel, ref=np.max) / 20.0
    low, high = float(scaled.min()), float(scaled.max())
    x = 2.0 * (scaled - low) / max(high - low, 1e-12) - 1.0
    return LegacyMel(x[None, None].astype(np.float32), low, high, ref_power)


def legacy_inverse(x: np.ndarray, meta: LegacyMel, length: int, n_iter: int = 32) -> np.ndarray:
    """Their way back: undo the scaling, dB -> power, librosa's mel_to_audio; fit to `length`."""
    import librosa

    scaled = (np.clip(x[0, 0], -1.0, 1.0) + 1.0) / 2.0 * (meta.high - meta.low) + meta.low
    power = librosa.db_to_power(scaled * 20.0, ref=meta.ref_power)
    # = librosa.feature.inverse.mel_to_audio, split so the random phase can be seeded
    stft = librosa.feature.inverse.mel_to_stft(power, sr=SAMPLE_RATE, n_fft=N_FFT)
    wave = librosa.griffinlim(stft, n_iter=n_iter, hop_length=HOP, n_fft=N_FFT, random_state=0)
    out = np.zeros(length, dtype=np.float32)
    out[: min(length, len(wave))] = wave[:length]
    return out
