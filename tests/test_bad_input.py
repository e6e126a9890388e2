"""Every bad input of the robustness issue, each with its specific error or documented handling.

Elsewhere: damaged containers (`test_container.py`, fuzzed), weights folders with a missing or
corrupt file (`test_loading.py::test_corrupt_or_missing_weight_files_are_reported`), array inputs
of the wrong shape or dtype (`test_audio.py`).
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from codec.audio_files import read_audio
from codec.errors import InvalidAudioError, ResourceError
from codec.pipeline import Codec


@pytest.fixture(scope="module")
def codec(tmp_path_factory) -> Codec:
    from tests.tiny_models import save_tiny_checkpoint

    root = save_tiny_checkpoint(tmp_path_factory.mktemp("tiny"), vocoder=False)
    return Codec.from_pretrained(str(root), vocoder="griffinlim", griffinlim_iters=2, device="cpu")


def tone(seconds: float, rate: int, channels: int = 1) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return np.stack([0.3 * np.sin(2 * np.pi * (220 + 110 * c) * t) for c in range(channels)]).astype(
        np.float32
    )


# --- files ---------------------------------------------------------------------------------------


def test_an_empty_file_is_not_audio(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(InvalidAudioError, match="cannot read .*empty.wav as audio"):
        read_audio(tmp_path / "empty.wav")


def test_a_file_with_zero_samples_is_refused(tmp_path):
    sf.write(str(tmp_path / "zero.wav"), np.zeros((0, 1)), 16000)
    with pytest.raises(InvalidAudioError, match="holds no audio samples"):
        read_audio(tmp_path / "zero.wav")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_samples_in_a_float_file_are_refused(tmp_path, bad):
    wave = tone(0.1, 16000)[0]
    wave[50] = bad
    sf.write(str(tmp_path / "bad.wav"), wave, 16000, subtype="FLOAT")
    with pytest.raises(InvalidAudioError, match="NaN or Inf"):
        read_audio(tmp_path / "bad.wav")


def test_a_file_that_is_not_audio_is_refused(tmp_path):
    (tmp_path / "notes.wav").write_text("these are not samples\n" * 100)
    with pytest.raises(InvalidAudioError, match="cannot read .*notes.wav as audio"):
        read_audio(tmp_path / "notes.wav")


def test_a_corrupt_file_is_refused(tmp_path):
    path = tmp_path / "corrupt.flac"
    sf.write(str(path), tone(1.0, 16000)[0], 16000, format="FLAC")
    data = bytearray(path.read_bytes())
    data[4:40] = bytes(36)  # destroy the STREAMINFO block
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidAudioError, match="cannot read"):
        read_audio(path)


def test_a_truncated_wav_yields_the_samples_it_holds(tmp_path):
    """Documented handling: libsndfile reads the whole frames present; the header's claim is ignored."""
    path = tmp_path / "cut.wav"
    sf.write(str(path), tone(1.0, 16000)[0], 16000, subtype="PCM_16")
    data = path.read_bytes()
    path.write_bytes(data[: 44 + 2 * 8000 + 1])  # half the samples and one odd byte
    wave, rate = read_audio(path)
    assert rate == 16000 and wave.shape == (1, 8000)


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT"])
def test_every_pcm_width_round_trips_at_its_length(tmp_path, codec, subtype):
    path = tmp_path / f"{subtype}.wav"
    sf.write(str(path), tone(0.5, 22050)[0], 22050, subtype=subtype)
    wave, rate = read_audio(path)
    assert codec.reconstruct(wave, rate, output_rate=rate).shape == (11025,)


# --- signals -------------------------------------------------------------------------------------


def test_all_silent_audio_decodes_to_silence(codec):
    """Documented handling: the peak gain of silence is ~0, so the output is ~0, never NaN."""
    out = codec.reconstruct(np.zeros(16000, np.float32), 16000)
    assert np.isfinite(out).all() and np.abs(out).max() < 1e-6


@pytest.mark.parametrize("samples", [1, 10, 159, 160, 512])
def test_shorter_than_one_frame_keeps_its_length(codec, samples):
    wave = np.random.default_rng(0).uniform(-0.5, 0.5, samples).astype(np.float32)
    out = codec.reconstruct(wave, 16000)
    assert out.shape == (samples,) and np.isfinite(out).all()


@pytest.mark.parametrize("channels", [2, 6])
def test_stereo_and_5_1_are_mixed_down_to_mono(codec, channels):
    wave = tone(0.5, 48000, channels)
    assert codec.reconstruct(wave, 48000, output_rate=48000).shape == (24000,)


@pytest.mark.parametrize("rate", [8000, 11025, 16000, 22050, 32000, 44100, 48000, 88200, 96000])
def test_sample_rates_from_8_to_96_khz_keep_their_duration(codec, rate):
    wave = tone(0.37, rate)
    assert codec.reconstruct(wave, rate, output_rate=rate).shape == (wave.shape[-1],)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.uint8, np.float64])
def test_integer_and_float_arrays_are_accepted(codec, dtype):
    wave = tone(0.25, 16000)[0]
    if np.dtype(dtype).kind == "f":
        pcm = wave.astype(dtype)
    elif dtype == np.uint8:
        pcm = (wave * 127 + 128).astype(np.uint8)
    else:
        pcm = (wave * np.iinfo(dtype).max).astype(dtype)
    assert codec.reconstruct(pcm, 16000).shape == (4000,)


# --- resources -----------------------------------------------------------------------------------


def test_a_request_too_large_for_memory_is_refused_before_it_starts(tmp_path, codec, monkeypatch):
    import codec.resources as resources

    path = tmp_path / "long.wav"
    sf.write(str(path), tone(2.0, 16000)[0], 16000)
    monkeypatch.setattr(resources, "available_bytes", lambda: 1_000_000)  # 1 MB "free"
    with pytest.raises(ResourceError, match=r"reading long.wav needs about .* GiB .* split the audio"):
        read_audio(path)
    with pytest.raises(ResourceError, match="encoding this audio needs"):
        codec.encode(tone(2.0, 16000), 16000)
    monkeypatch.setattr(resources, "available_bytes", lambda: None)  # unknown: no check
    assert read_audio(path)[0].shape == (1, 32000)
