"""Vocoders (codec.vocoders, codec.griffinlim): layout, exact lengths, determinism, convergence."""

import numpy as np
import pytest
import torch

from codec.errors import IncompatibleModelError, LayoutError
from codec.frontend import log_mel, prepare_waveform, stft_magnitude
from codec.griffinlim import griffin_lim, mel_to_magnitude
from codec.vocoders import GriffinLimVocoder, HifiGanVocoder
from tests.helpers import BATCH_ATOL, assert_close, read_example
from tests.tiny_models import build_tiny_vocoder


@pytest.fixture(scope="module")
def hifigan() -> HifiGanVocoder:
    return HifiGanVocoder(build_tiny_vocoder())


@pytest.fixture(scope="module")
def speech() -> torch.Tensor:
    wave, _ = read_example("speech_male_arctic_a0007")
    return prepare_waveform(torch.from_numpy(wave[:, :24000])).wave  # [1, 24000]


@pytest.mark.parametrize("frames", [4, 37, 501])
def test_hifigan_output_is_160_per_frame_with_the_extra_32_trimmed(hifigan, frames):
    assert hifigan.model(torch.zeros(1, frames, 64)).shape[-1] == 160 * frames + 32
    out = hifigan(torch.zeros(2, frames, 64) - 5)
    assert out.shape == (2, 160 * frames) and out.dtype == torch.float32


def test_hifigan_refuses_the_channels_first_layout(hifigan):
    with pytest.raises(LayoutError, match=r"\[B, T, 64\].*looks like \[B, 64, T\]"):
        hifigan(torch.zeros(1, 64, 500))


def test_hifigan_batch_of_two_equals_each_alone(hifigan, speech):
    mel = log_mel(speech)
    both = hifigan(torch.cat([mel, mel.flip(1)]))
    assert_close(both[:1], hifigan(mel), BATCH_ATOL, "batched HiFi-GAN")


def test_hifigan_with_another_hop_is_refused():
    with pytest.raises(IncompatibleModelError, match="hop 160"):
        HifiGanVocoder(build_tiny_vocoder(upsample_rates=[4, 4, 2, 2, 2]))


@pytest.mark.parametrize("frames", [4, 37, 150])
def test_griffinlim_output_is_160_per_frame(frames):
    out = GriffinLimVocoder(n_iter=2)(torch.zeros(1, frames, 64) - 5)
    assert out.shape == (1, 160 * frames) and out.dtype == torch.float32


def test_griffinlim_refuses_the_channels_first_layout():
    with pytest.raises(LayoutError, match=r"\[B, 64, T\]"):
        GriffinLimVocoder()(torch.zeros(1, 64, 500))


def test_griffinlim_is_seeded(speech):
    mel = log_mel(speech)
    assert torch.equal(GriffinLimVocoder(n_iter=4, seed=1)(mel), GriffinLimVocoder(n_iter=4, seed=1)(mel))
    assert not torch.equal(GriffinLimVocoder(n_iter=4, seed=1)(mel), GriffinLimVocoder(n_iter=4, seed=2)(mel))


def spectral_convergence(wave: torch.Tensor, magnitude: torch.Tensor) -> float:
    rebuilt = stft_magnitude(wave)
    return float(torch.linalg.norm(rebuilt - magnitude) / torch.linalg.norm(magnitude))


@pytest.mark.parametrize("momentum", [0.0, 0.99])
def test_griffinlim_converges_towards_the_target_magnitude(speech, momentum):
    target = stft_magnitude(speech)
    errors = [
        spectral_convergence(
            griffin_lim(target, n_iter=n, momentum=momentum, length=speech.shape[-1]), target
        )
        for n in (0, 8, 32)
    ]
    assert errors[0] > errors[1] > errors[2], errors
    assert errors[2] < 0.5 * errors[0], errors


def test_fast_griffinlim_beats_classic_at_equal_iterations(speech):
    target = stft_magnitude(speech)
    fast, classic = (
        spectral_convergence(griffin_lim(target, n_iter=32, momentum=m, length=speech.shape[-1]), target)
        for m in (0.99, 0.0)
    )
    assert fast < classic


def test_pseudo_inverse_mel_inversion_is_non_negative_and_close_in_mel(speech):
    mel = log_mel(speech)
    magnitude = mel_to_magnitude(mel)
    assert magnitude.shape == (1, 513, mel.shape[1]) and bool((magnitude >= 0).all())
    from codec.frontend import mel_filterbank

    remel = torch.log(torch.clamp(mel_filterbank() @ magnitude, min=1e-5)).transpose(1, 2)
    loud = mel > -6
    assert float((remel - mel)[loud].abs().median()) < 0.1


@pytest.mark.parametrize("kwargs, match", [({"n_iter": -1}, "n_iter"), ({"momentum": 1.0}, "momentum")])
def test_griffinlim_bad_settings_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        griffin_lim(torch.ones(1, 513, 10), **kwargs)


def test_griffinlim_length_must_match_the_frame_count():
    with pytest.raises(ValueError, match="does not give 10 STFT frames"):
        griffin_lim(torch.ones(1, 513, 10), length=1600)
    assert np.isfinite(griffin_lim(torch.ones(1, 513, 10), n_iter=1, length=1599).numpy()).all()


def test_a_vocoder_output_of_the_wrong_length_is_refused_with_the_reason():
    from codec.vocoders import vocode

    class Untrimmed:  # HiFi-GAN's raw 160 T + 32 samples
        name = "untrimmed"

        def __call__(self, mel):
            return torch.zeros(mel.shape[0], 160 * mel.shape[1] + 32)

    mel = torch.zeros(1, 50, 64) - 5
    with pytest.raises(IncompatibleModelError, match=r"8032 samples for 50 frames, not 160 x 50 = 8000"):
        vocode(Untrimmed(), mel)
    assert vocode(GriffinLimVocoder(n_iter=1), mel).shape == (1, 8000)


def test_a_half_precision_hifigan_on_cpu_is_refused():
    vocoder = HifiGanVocoder(build_tiny_vocoder(), dtype=torch.float16)
    with pytest.raises(IncompatibleModelError, match="float16 HiFi-GAN on a CPU"):
        vocoder(torch.zeros(1, 20, 64) - 5)
