"""The Codec facade (codec.pipeline) with small saved models loaded through `from_pretrained`:
hypothesis properties over lengths, rates, channels and dtypes; gain; padding; determinism."""

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from codec import Codec
from codec.audio import resampled_length
from codec.errors import InvalidAudioError
from codec.frontend import log_mel, num_frames, padded_length
from tests.helpers import assert_close, read_example

RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000]
DTYPES = [np.int16, np.int32, np.uint8, np.float32, np.float64]


@pytest.fixture(scope="module")
def griffinlim_codec(tiny_checkpoint) -> Codec:
    return Codec.from_pretrained(str(tiny_checkpoint), vocoder="griffinlim", device="cpu", griffinlim_iters=2)


@pytest.fixture(scope="module")
def hifigan_codec(tiny_checkpoint) -> Codec:
    return Codec.from_pretrained(str(tiny_checkpoint), vocoder="hifigan", device="cpu")


def random_pcm(seed: int, channels: int, length: int, dtype) -> np.ndarray:
    noise = np.random.default_rng(seed).uniform(-0.9, 0.9, size=(channels, length))
    if np.dtype(dtype).kind == "f":
        return noise.astype(dtype)
    info = np.iinfo(dtype)
    middle = (int(info.max) + int(info.min) + 1) // 2
    return (middle + noise * (info.max - middle)).astype(dtype)


@settings(max_examples=40)
@given(
    length=st.integers(1, 24_000),
    rate=st.sampled_from(RATES),
    channels=st.integers(1, 6),
    dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**16),
    vocoder=st.sampled_from(["griffinlim", "hifigan"]),
)
def test_round_trip_shapes_lengths_and_dtype(
    griffinlim_codec, hifigan_codec, length, rate, channels, dtype, seed, vocoder
):
    assume(resampled_length(length, rate, 16000) >= 1)
    codec = griffinlim_codec if vocoder == "griffinlim" else hifigan_codec
    wave = random_pcm(seed, channels, length, dtype)
    encoded = codec.encode(wave if channels > 1 else wave[0], rate)
    n16 = resampled_length(length, rate, 16000)
    frames = num_frames(padded_length(n16, 4))
    assert encoded.latent.shape == (1, 8, frames // 4, 16)
    assert frames >= num_frames(n16) and frames % 4 == 0
    assert (encoded.num_samples, encoded.sample_rate, encoded.original_num_samples) == (n16, rate, length)
    out = codec.decode(encoded)
    assert out.shape == (n16,) and out.dtype == np.float32 and np.isfinite(out).all()
    back = codec.decode(encoded, output_rate=rate)
    assert back.shape == (length,) and back.dtype == np.float32
    assert torch.equal(codec.encode(wave if channels > 1 else wave[0], rate).latent, encoded.latent)


def test_latent_of_1024_frames_real_speech(griffinlim_codec):
    wave, rate = read_example("speech_male_arctic_a0007")  # 4.0 s -> 401 frames -> padded 404
    encoded = griffinlim_codec.encode(wave, rate)
    assert encoded.latent.shape == (1, 8, 101, 16)
    assert griffinlim_codec.decode(encoded).shape == (64000,)


def test_waveform_not_log_mel_is_padded_and_no_frame_is_lost(tiny_checkpoint):
    seen = []
    codec = Codec.from_pretrained(str(tiny_checkpoint), vocoder="griffinlim", device="cpu")
    encode = codec.vae.encode
    codec.vae.encode = lambda mel, **kw: seen.append(mel) or encode(mel, **kw)
    wave = random_pcm(0, 1, 80_000, np.float32)[0]  # 5 s -> 501 frames, not a multiple of 4
    codec.encode(wave, 16000)
    prepared = torch.from_numpy(wave - wave.mean()) * 0.5 / (np.abs(wave - wave.mean()).max() + 1e-8)
    padded = torch.nn.functional.pad(prepared[None], (0, padded_length(80_000, 4) - 80_000))
    assert seen[0].shape == (1, 504, 64)
    assert_close(seen[0], log_mel(padded), 1e-4, "VAE input vs log-mel of the zero-padded waveform")


def test_gain_and_offset_are_restored(griffinlim_codec):
    wave, rate = read_example("speech_male_arctic_a0007")
    base = griffinlim_codec.reconstruct(wave, rate)
    louder = griffinlim_codec.reconstruct(3.0 * wave, rate)
    shifted = griffinlim_codec.reconstruct(wave + 0.01, rate)
    peak = np.abs(base).max()
    assert_close(louder, 3.0 * base, 1e-4 * 3 * peak, "reconstruct(3x) vs 3 reconstruct(x)")
    assert_close(shifted, base + 0.01, 1e-4 * peak, "reconstruct(x + c) vs reconstruct(x) + c")


def test_stereo_is_the_mean_of_its_channels(griffinlim_codec):
    wave, rate = read_example("drums_amen_44k_stereo")
    stereo = griffinlim_codec.encode(wave, rate).latent
    mono = griffinlim_codec.encode(wave.mean(axis=0), rate).latent
    assert_close(stereo, mono, 1e-5, "stereo vs its mono mix")


def test_sampled_latent_is_seeded(griffinlim_codec):
    wave, rate = read_example("speech_male_arctic_a0007")

    def draw(seed):
        return griffinlim_codec.encode(wave, rate, sample=True, seed=seed).latent

    assert torch.equal(draw(1), draw(1)) and not torch.equal(draw(1), draw(2))


def test_silence_round_trips_to_near_silence(griffinlim_codec):
    out = griffinlim_codec.reconstruct(np.zeros(16000, np.float32), 16000)
    assert out.shape == (16000,) and np.abs(out).max() < 1e-6


@pytest.mark.parametrize(
    "wave, rate, match",
    [
        (np.zeros(0, np.float32), 16000, "no samples"),
        (np.full(1000, np.nan, np.float32), 16000, "NaN or Inf"),
        (np.zeros((44100, 2), np.float32), 44100, r"looks like \[N, C\]"),
        (np.zeros(1000, np.float32), 0, "sample_rate"),
    ],
)
def test_bad_input_is_refused_with_the_reason(griffinlim_codec, wave, rate, match):
    with pytest.raises(InvalidAudioError, match=match):
        griffinlim_codec.encode(wave, rate)


def test_unknown_vocoder_and_missing_cuda_are_refused(tiny_checkpoint):
    with pytest.raises(ValueError, match="vocoder must be one of"):
        Codec.from_pretrained(str(tiny_checkpoint), vocoder="wavenet")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            Codec.from_pretrained(str(tiny_checkpoint), device="cuda")


def test_auto_device_picks_cuda_only_when_present(tiny_checkpoint):
    codec = Codec.from_pretrained(str(tiny_checkpoint), vocoder="griffinlim")
    assert codec.device.type == ("cuda" if torch.cuda.is_available() else "cpu")
