"""The VAE stage (codec.vae): layout, shapes, no lost frames, determinism, dtypes."""

import pytest
import torch

from codec.errors import IncompatibleModelError, LayoutError
from codec.vae import VAE
from tests.helpers import BATCH_ATOL, assert_close
from tests.tiny_models import build_tiny_vae


@pytest.fixture(scope="module")
def vae() -> VAE:
    return VAE(build_tiny_vae())


def mel(batch: int, frames: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, frames, 64, generator=torch.Generator().manual_seed(seed)) - 4.0


@pytest.mark.parametrize("frames, rows", [(1024, 256), (500, 125), (4, 1)])
def test_latent_is_b_8_t_over_4_16(vae, frames, rows):
    latent = vae.encode(mel(2, frames))
    assert latent.shape == (2, 8, rows, 16) == vae.latent_shape(2, frames)
    assert latent.dtype == torch.float32
    assert vae.decode(latent).shape == (2, frames, 64)


def test_reports_transposed_layout_is_refused_with_the_expected_layout(vae):
    with pytest.raises(LayoutError, match=r"\[B, T, 64\].*transposed \[B, 1, 64, T\]"):
        vae.encode(torch.zeros(1, 1, 64, 500))


@pytest.mark.parametrize(
    "shape, match",
    [
        ((1, 64, 500), r"last dim is not 64.*\[B, 64, T\]"),
        ((1, 500, 80), "last dim is not 64"),
        ((500, 64), "2-D"),
        ((1, 0, 64), "empty"),
    ],
)
def test_other_wrong_layouts_are_refused(vae, shape, match):
    with pytest.raises(LayoutError, match=match):
        vae.encode(torch.zeros(shape))


def test_frame_count_not_divisible_by_4_is_refused_not_floored(vae):
    with pytest.raises(LayoutError, match=r"divisible by 4; got 501.*drop 1 frame"):
        vae.encode(mel(1, 501))


def test_latent_with_wrong_shape_is_refused(vae):
    with pytest.raises(LayoutError, match=r"\[B, 8, T/4, 16\]"):
        vae.decode(torch.zeros(1, 8, 16, 125))


def test_encoding_is_deterministic_posterior_mode_by_default(vae):
    x = mel(1, 64)
    first, second = vae.encode(x), vae.encode(x)
    assert torch.equal(first, second)
    mean = vae.model.encode(x.unsqueeze(1)).latent_dist.mean
    assert_close(first, mean, 1e-6, "latent vs posterior mean")


def test_sampling_is_seeded_and_differs_from_the_mode(vae):
    x = mel(1, 64)

    def draw(seed):
        return vae.encode(x, sample=True, generator=torch.Generator().manual_seed(seed))

    assert torch.equal(draw(3), draw(3))
    assert not torch.equal(draw(3), draw(4))
    assert not torch.equal(draw(3), vae.encode(x))


def test_batch_of_two_equals_each_alone(vae):
    a, b = mel(1, 128, seed=1), mel(1, 128, seed=2)
    latent = vae.encode(torch.cat([a, b]))
    assert_close(latent[1:], vae.encode(b), BATCH_ATOL, "batched latent")
    decoded = vae.decode(latent)
    assert_close(decoded[:1], vae.decode(latent[:1]), BATCH_ATOL, "batched decode")


def test_float32_by_default_other_dtypes_return_float32():
    assert VAE(build_tiny_vae()).model.dtype == torch.float32
    half = VAE(build_tiny_vae(), dtype=torch.bfloat16)
    latent = half.encode(mel(1, 64))
    assert half.model.dtype == torch.bfloat16 and latent.dtype == torch.float32
    assert half.decode(latent).dtype == torch.float32


def test_a_vae_without_audioldm2s_single_channel_is_refused():
    with pytest.raises(IncompatibleModelError, match="1 input and 1 output channel"):
        VAE(build_tiny_vae(in_channels=3, out_channels=3))
