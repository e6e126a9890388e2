"""Small models with AudioLDM2's layout (the released configs that tests/test_real_weights.py checks),
saved like the hub repo.

Same x4 VAE down-sampling, 8 latent channels and 1 input channel as the real VAE; same hop of 160
and 64 mel bins as the real HiFi-GAN. Random (seeded) weights: they test plumbing, not quality.
"""

from __future__ import annotations

from pathlib import Path

import torch

TINY_VAE = dict(
    in_channels=1,
    out_channels=1,
    latent_channels=8,
    block_out_channels=[8, 16, 16],
    down_block_types=["DownEncoderBlock2D"] * 3,
    up_block_types=["UpDecoderBlock2D"] * 3,
    layers_per_block=1,
    norm_num_groups=8,
)

TINY_VOCODER = dict(
    model_in_dim=64,
    sampling_rate=16000,
    upsample_initial_channel=64,
    upsample_rates=[5, 4, 2, 2, 2],
    upsample_kernel_sizes=[16, 16, 8, 4, 4],
    resblock_kernel_sizes=[3],
    resblock_dilation_sizes=[[1, 3, 5]],
    normalize_before=False,
)


def build_tiny_vae(seed: int = 0, **overrides):
    from diffusers import AutoencoderKL

    torch.manual_seed(seed)
    return AutoencoderKL(**{**TINY_VAE, **overrides})


def build_tiny_vocoder(seed: int = 0, **overrides):
    from transformers import SpeechT5HifiGan, SpeechT5HifiGanConfig

    torch.manual_seed(seed)
    return SpeechT5HifiGan(SpeechT5HifiGanConfig(**{**TINY_VOCODER, **overrides}))


def save_tiny_checkpoint(root: Path, seed: int = 0, vocoder: bool = True) -> Path:
    """Writes `root/vae/` (and `root/vocoder/`) with `save_pretrained`; returns `root`."""
    build_tiny_vae(seed).save_pretrained(root / "vae")
    if vocoder:
        build_tiny_vocoder(seed).save_pretrained(root / "vocoder")
    return root


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 2:
        sys.exit(
            "usage: python -m tests.tiny_models OUT_FOLDER   (writes OUT_FOLDER/vae, OUT_FOLDER/vocoder)"
        )
    out = Path(sys.argv[1])
    if out.exists():
        sys.exit(f"error: {out} exists; pick a new folder")
    print(f"wrote a small random AudioLDM2-layout checkpoint to {save_tiny_checkpoint(out)}")
