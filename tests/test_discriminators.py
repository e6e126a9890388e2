"""HiFi-GAN's discriminators and least-squares losses (training/discriminators.py), used by the
reference vocoder's training with --adversarial-from."""

import math

import torch

from training import discriminators as disc


def test_five_periods_and_three_scales_judge_any_length():
    torch.manual_seed(0)
    judged = disc.Discriminators(0.125)(torch.randn(2, 2049))
    assert len(judged) == len(disc.PERIODS) + 3
    for scores, features in judged:
        assert scores.shape[0] == 2 and torch.isfinite(scores).all()
        assert features[-1].flatten(1).shape == scores.shape


def test_least_squares_losses_are_zero_exactly_at_their_targets():
    ones, zeros = torch.ones(2, 5), torch.zeros(2, 5)
    feats = [torch.randn(2, 3, 4)]
    assert disc.discriminator_loss([(ones, feats)], [(zeros, feats)]) == 0
    assert disc.discriminator_loss([(zeros, feats)], [(ones, feats)]) == 2
    adversarial, matching = disc.generator_loss([(zeros, feats)], [(ones, feats)])
    assert adversarial == 0 and matching == 0
    adversarial, matching = disc.generator_loss([(zeros, feats)], [(zeros, [feats[0] + 0.5])])
    assert adversarial == 1 and math.isclose(float(matching), 0.5, rel_tol=1e-6)


def test_the_generator_loss_reaches_every_sample_of_the_generated_wave():
    """The adversarial and the feature-matching term each pass gradients to the wave, all finite."""
    torch.manual_seed(0)
    model = disc.Discriminators(0.125)
    real, fake = torch.randn(2, 1024), torch.randn(2, 1024, requires_grad=True)
    with torch.no_grad():
        judged_real = model(real)
    for term in (0, 1):  # adversarial, then feature matching, each on its own
        fake.grad = None
        disc.generator_loss(judged_real, model(fake))[term].backward()
        assert torch.isfinite(fake.grad).all() and (fake.grad.abs() > 0).float().mean() > 0.99, term
