"""Real-size AudioLDM2 models with random (seeded) weights: the right cost, no download.

Configs: the released `vae/` and `vocoder/` ones (tests/test_real_weights.py checks them). Speed does not
depend on the weights' values, so these stand in for the real checkpoint in benchmarks.
"""

from __future__ import annotations

import torch

REAL_VAE = dict(
    in_channels=1,
    out_channels=1,
    latent_channels=8,
    block_out_channels=[128, 256, 512],
    down_block_types=["DownEncoderBlock2D"] * 3,
    up_block_types=["UpDecoderBlock2D"] * 3,
    layers_per_block=2,
    norm_num_groups=32,
    sample_size=1024,
    force_upcast=True,
    scaling_factor=0.4110932946205139,
)

REAL_VOCODER = dict(
    model_in_dim=64,
    sampling_rate=16000,
    upsample_initial_channel=1024,
    upsample_rates=[5, 4, 2, 2, 2],
    upsample_kernel_sizes=[16, 16, 8, 4, 4],
    resblock_kernel_sizes=[3, 7, 11],
    resblock_dilation_sizes=[[1, 3, 5]] * 3,
    leaky_relu_slope=0.1,
    normalize_before=False,
)


def real_size_vae(seed: int = 0):
    """diffusers `AutoencoderKL` with the released config (about 55.4 M parameters), eval mode."""
    from diffusers import AutoencoderKL

    torch.manual_seed(seed)
    return AutoencoderKL(**REAL_VAE).eval().requires_grad_(False)


def real_size_vocoder(seed: int = 0):
    """transformers `SpeechT5HifiGan` with the released config (about 55.3 M parameters), eval mode."""
    from transformers import SpeechT5HifiGan, SpeechT5HifiGanConfig

    torch.manual_seed(seed)
    return SpeechT5HifiGan(SpeechT5HifiGanConfig(**REAL_VOCODER)).eval().requires_grad_(False)
