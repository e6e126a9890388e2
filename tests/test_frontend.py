"""AudioLDM2's front end (codec.frontend) against an independent librosa implementation, and
one test per front-end fact (docs/testing.md, "Facts and their tests")."""

import math

import librosa
import numpy as np
import pytest
import scipy.signal
import soundfile as sf
import torch
from hypothesis import given
from hypothesis import strategies as st

from codec.audio import to_mono_16k
from codec.constants import LOG_FLOOR, MIN_SAMPLES
from codec.errors import InvalidAudioError
from codec.frontend import (
    hann_window,
    log_mel,
    mel_filterbank,
    num_frames,
    padded_length,
    prepare_waveform,
    restore_gain,
)
from tests.helpers import (
    LOG_MEL_ATOL,
    LOG_MEL_QUIET_ATOL,
    LOG_MEL_RANGE,
    assert_close,
    example_paths,
    read_example,
)


def reference_log_mel(wave: np.ndarray) -> np.ndarray:
    """AudioLDM2's log-mel written independently with librosa, float64: [T, 64]."""
    spec = np.abs(
        librosa.stft(
            wave.astype(np.float64),
            n_fft=1024,
            hop_length=160,
            win_length=1024,
            window="hann",
            center=True,
            pad_mode="reflect",
        )
    )
    basis = librosa.filters.mel(
        sr=16000, n_fft=1024, n_mels=64, fmin=0.0, fmax=8000.0, htk=False, norm="slaney"
    )
    return np.log(np.maximum(basis @ spec, 1e-5)).T


def prepared(name_or_path) -> torch.Tensor:
    """A committed recording (example stem or any path), prepared as AudioLDM2 does: [1, N]."""
    if isinstance(name_or_path, str):
        wave, rate = read_example(name_or_path)
    else:
        data, rate = sf.read(str(name_or_path), dtype="float32", always_2d=True)
        wave = data.T
    return prepare_waveform(torch.from_numpy(to_mono_16k(wave, rate))[None]).wave


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_log_mel_matches_librosa_reference_on_real_recordings(path):
    wave = prepared(path)
    ours = log_mel(wave)[0].numpy()
    assert log_mel(wave).dtype == torch.float32
    reference = reference_log_mel(wave[0].numpy())
    loud = reference > reference.max() - LOG_MEL_RANGE
    assert_close(
        ours[loud], reference[loud], LOG_MEL_ATOL, f"log-mel of {path.stem}, within 100 dB of its peak"
    )
    assert_close(ours, reference, LOG_MEL_QUIET_ATOL, f"log-mel of {path.stem}, all bins")


def test_edge_frames_use_reflect_padding_not_librosa_default_constant():
    wave = prepared("speech_male_arctic_a0007")[0].numpy()
    constant = np.log(
        np.maximum(
            librosa.filters.mel(sr=16000, n_fft=1024, n_mels=64)
            @ np.abs(librosa.stft(wave, n_fft=1024, hop_length=160, pad_mode="constant")),
            1e-5,
        )
    ).T
    ours = log_mel(torch.from_numpy(wave)[None])[0].numpy()
    assert np.abs(ours[[0, -1]] - constant[[0, -1]]).max() > 100 * LOG_MEL_ATOL


def test_magnitude_not_power_doubling_the_wave_adds_log_2():
    wave = prepared("speech_male_arctic_a0007")
    low, high = log_mel(wave), log_mel(2 * wave)
    above_floor = low > math.log(LOG_FLOOR) + 1.0
    assert_close(
        (high - low)[above_floor],
        np.full(int(above_floor.sum()), math.log(2)),
        1e-3,
        "log-mel(2x) - log-mel(x)",
    )


def test_silence_gives_the_natural_log_floor_and_no_normalisation():
    mel = log_mel(torch.zeros(1, 16000))
    assert torch.all(mel == torch.log(torch.tensor(1e-5)))
    assert math.isclose(mel[0, 0, 0].item(), -11.512925, abs_tol=1e-5)


def test_filterbank_is_librosa_slaney_64_by_513_up_to_8k():
    basis = mel_filterbank()
    assert basis.shape == (64, 513)
    expected = librosa.filters.mel(sr=16000, n_fft=1024, n_mels=64, fmin=0, fmax=8000, norm="slaney")
    assert_close(basis, expected, 1e-7, "mel filterbank")
    assert not np.allclose(expected, librosa.filters.mel(sr=16000, n_fft=1024, n_mels=64, htk=True))


def test_window_is_periodic_hann():
    assert_close(hann_window(), scipy.signal.get_window("hann", 1024, fftbins=True), 1e-6, "window")
    # ... and the reference comparison above would catch a symmetric window on noise:
    wave = torch.randn(1, 4000, generator=torch.Generator().manual_seed(0))
    symmetric = np.abs(
        librosa.stft(wave[0].numpy(), n_fft=1024, hop_length=160, window=np.hanning(1024), pad_mode="reflect")
    )
    basis = librosa.filters.mel(sr=16000, n_fft=1024, n_mels=64)
    sym_mel = np.log(np.maximum(basis @ symmetric, 1e-5)).T
    assert np.abs(log_mel(wave)[0].numpy() - sym_mel).max() > 3 * LOG_MEL_ATOL
    assert_close(log_mel(wave)[0], reference_log_mel(wave[0].numpy()), LOG_MEL_ATOL, "log-mel")


@given(st.integers(MIN_SAMPLES, 20_000), st.integers(1, 3))
def test_frame_count_is_n_over_160_plus_1(num_samples, batch):
    mel = log_mel(torch.zeros(batch, num_samples))
    assert mel.shape == (batch, num_samples // 160 + 1, 64) == (batch, num_frames(num_samples), 64)


def test_batch_of_two_equals_each_alone():
    a, b = prepared("speech_male_arctic_a0007")[:, :32000], prepared("drums_amen_44k_stereo")[:, :32000]
    both = log_mel(torch.cat([a, b]))
    assert_close(both[0], log_mel(a)[0], 1e-5, "batched clip 0")
    assert_close(both[1], log_mel(b)[0], 1e-5, "batched clip 1")


def test_prep_removes_mean_sets_peak_half_and_restores_exactly():
    wave = torch.from_numpy(read_example("drums_amen_44k_stereo")[0][:1]) * 0.3 + 0.05
    prep = prepare_waveform(wave)
    assert abs(prep.wave.mean().item()) < 1e-6
    assert math.isclose(prep.wave.abs().max().item(), 0.5, rel_tol=1e-6)
    assert_close(restore_gain(prep.wave, prep.scale, prep.offset), wave, 1e-6, "restored wave")


def test_prep_of_silence_stays_silent_and_finite():
    prep = prepare_waveform(torch.zeros(1, 1000))
    assert torch.all(prep.wave == 0) and torch.isfinite(prep.scale).all()


@given(st.integers(1, 100_000), st.sampled_from([1, 2, 4, 8]))
def test_padded_length_is_minimal_and_suits_the_down_sampling(num_samples, multiple):
    length = padded_length(num_samples, multiple)
    assert length >= max(num_samples, MIN_SAMPLES)
    assert num_frames(length) % multiple == 0
    start = max(num_samples, MIN_SAMPLES)
    assert all(num_frames(n) % multiple for n in range(start, length)), "not the smallest"


@pytest.mark.parametrize(
    "bad, match",
    [
        (torch.zeros(16000), r"\[B, N\].*wave\[None\]"),
        (torch.zeros(1, 100), "at least 513 samples"),
        (torch.zeros(1, 1000, dtype=torch.int16), "float samples"),
        (torch.full((1, 1000), float("nan")), "NaN or Inf"),
    ],
)
def test_log_mel_refuses_bad_input_with_the_reason(bad, match):
    with pytest.raises(InvalidAudioError, match=match):
        log_mel(bad)
