"""training/widening.py: a trained VAE widened to twice its block channels computes the same
reconstruction (so a wider reference VAE continues the narrow one's training), and noise then makes
the copies differ."""

import pytest
import torch

from tests.tiny_models import build_tiny_vae
from training.widening import widen

SAME_FUNCTION_TOL = 1e-4
"""Max |difference| of the reconstructions: float32 sums in another order (measured 2.4e-5 on the
committed reference VAE, whose outputs are about 6 in size)."""


def reconstruct(model, x):
    with torch.no_grad():
        return model.decode(model.encode(x).latent_dist.mode()).sample


@pytest.fixture(scope="module")
def narrow():
    torch.manual_seed(0)
    model = build_tiny_vae(seed=3).eval()
    with torch.no_grad():  # a trained model's norms and biases are not the defaults' ones and zeros
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model


def test_the_widened_vae_has_twice_the_channels_and_computes_the_same_reconstruction(narrow):
    wide = widen(narrow).eval()
    assert list(wide.config.block_out_channels) == [16, 32, 32]
    assert wide.config.latent_channels == narrow.config.latent_channels
    x = torch.randn(2, 1, 32, 64, generator=torch.Generator().manual_seed(1))
    before, after = reconstruct(narrow, x), reconstruct(wide, x)
    assert (after - before).abs().max() <= SAME_FUNCTION_TOL * before.abs().max()


def test_noise_breaks_the_copies_symmetry(narrow):
    wide = widen(narrow, noise=0.01, generator=torch.Generator().manual_seed(0))
    weight = wide.encoder.conv_in.weight
    assert not torch.equal(weight[0::2], weight[1::2])
