"""AudioLDM2's front-end constants (all 16 kHz checkpoints).

Every value here is checked by a test (docs/testing.md, "Facts and their tests", names each fact's
test; most are in `tests/test_frontend.py`); change one only together with the fact it encodes.
"""

SAMPLE_RATE = 16_000
"""The only rate the VAE and vocoder know; everything else is resampled first."""

N_FFT = 1024
WIN_LENGTH = 1024
HOP_LENGTH = 160
"""One mel frame per 10 ms; also the HiFi-GAN up-sampling product (5*4*2*2*2)."""

N_MELS = 64
F_MIN = 0.0
F_MAX = 8000.0

LOG_FLOOR = 1e-5
"""Magnitudes are clamped to this before the natural log: floor log(1e-5) = -11.5129."""

PEAK = 0.5
PEAK_EPS = 1e-8
"""Waveform prep: x - mean(x), then `PEAK * x / (max|x| + PEAK_EPS)`."""

MIN_SAMPLES = N_FFT // 2 + 1
"""Reflect padding of n_fft/2 needs more input samples than the pad (513)."""

DEFAULT_MODEL = "cvssp/audioldm2-music"
"""Hub id used when no weights are named."""
