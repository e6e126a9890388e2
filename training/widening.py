"""Widen a trained diffusers `AutoencoderKL` without changing what it computes (Net2WiderNet,
Chen et al. 2016), so that a wider reference VAE starts from the narrow one's training instead of
from scratch.

Every block channel `c` becomes two neighbouring copies `2c, 2c + 1`:
- a weight's output channels are copied (`repeat_interleave` on dim 0), its input channels copied
  and halved (dim 1), so each next layer sees the same sum;
- GroupNorm keeps its number of groups, so each group holds the copies of the same channels as
  before, with the same mean and variance;
- the mid-block attention (one head whose width is the channel count) gets its scale `1/sqrt(d)`
  from the new width; the query is scaled by `1/sqrt(factor)` to keep every attention score.
The latent (8 channels) and the single input and output channel are not widened. `noise` (relative to
each tensor's standard deviation) then breaks the copies' symmetry, without which they would stay
equal for ever.
"""

from __future__ import annotations

import math

import torch

FACTOR = 2


def widened_config(config: dict, factor: int = FACTOR) -> dict:
    """The same AutoencoderKL config with every `block_out_channels` entry times `factor`."""
    return {**config, "block_out_channels": [c * factor for c in config["block_out_channels"]]}


@torch.no_grad()
def widen(model, factor: int = FACTOR, noise: float = 0.0, generator: torch.Generator | None = None):
    """A new `AutoencoderKL` with `factor` times the block channels computing what `model` computes
    (exactly with `noise=0`, up to float rounding)."""
    from diffusers import AutoencoderKL

    config = {k: v for k, v in dict(model.config).items() if not k.startswith("_")}
    wide = AutoencoderKL(**widened_config(config, factor))
    old = model.state_dict()
    new_state = {}
    for name, target in wide.state_dict().items():
        tensor = old[name].clone()
        if tensor.ndim >= 1 and target.shape[0] == factor * tensor.shape[0]:
            tensor = tensor.repeat_interleave(factor, dim=0)
        if tensor.ndim >= 2 and target.shape[1] == factor * tensor.shape[1]:
            tensor = tensor.repeat_interleave(factor, dim=1) / factor
        if tensor.shape != target.shape:
            raise ValueError(f"{name}: cannot widen {tuple(old[name].shape)} to {tuple(target.shape)}")
        if ".to_q." in name and target.shape[0] != old[name].shape[0]:
            tensor = tensor / math.sqrt(factor)
        if noise and tensor.shape != old[name].shape and tensor.numel() > 1:
            scale = float(tensor.std()) * noise
            tensor = tensor + scale * torch.randn(tensor.shape, generator=generator)
        new_state[name] = tensor
    wide.load_state_dict(new_state)
    return wide
