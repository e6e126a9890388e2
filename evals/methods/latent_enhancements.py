"""Report 003's four latent "enhancements", applied between VAE encode and decode.

The report gives names and one coefficient ("Laplacian kernel, x1.5"), not code; these are the
plainest readings, with every parameter exposed (`NAME:key=value` on the command line):

    laplacian: z + (gain - 1) * L(z), L the 3x3 Laplacian [[0,-1,0],[-1,4,-1],[0,-1,0]] per
               channel (replicate padding): detail (high spatial frequencies) amplified `gain` x
    noise:     z + sigma * std(z) * N(0, 1), seeded
    contrast:  per channel, mean + factor * (z - mean)
    hybrid:    laplacian(gain), then contrast(factor), then noise(sigma)

All take and return a latent `[B, C, T/4, F/4]` (float32).
"""

from __future__ import annotations

import torch

_LAPLACIAN = torch.tensor([[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]])


def laplacian(latent: torch.Tensor, gain: float = 1.5) -> torch.Tensor:
    """Amplifies the latent's Laplacian detail by `gain` (1 leaves it unchanged)."""
    channels = latent.shape[1]
    kernel = _LAPLACIAN.to(latent).expand(channels, 1, 3, 3)
    padded = torch.nn.functional.pad(latent, (1, 1, 1, 1), mode="replicate")
    detail = torch.nn.functional.conv2d(padded, kernel, groups=channels)
    return latent + (gain - 1.0) * detail


def noise(latent: torch.Tensor, sigma: float = 0.1, seed: int = 0) -> torch.Tensor:
    """Adds Gaussian noise of `sigma` times the latent's standard deviation (seeded, CPU draw)."""
    draw = torch.randn(latent.shape, generator=torch.Generator().manual_seed(int(seed)))
    return latent + sigma * latent.std() * draw.to(latent)


def contrast(latent: torch.Tensor, factor: float = 1.2) -> torch.Tensor:
    """Stretches each channel around its mean by `factor`."""
    mean = latent.mean(dim=(2, 3), keepdim=True)
    return mean + factor * (latent - mean)


def hybrid(
    latent: torch.Tensor, gain: float = 1.5, factor: float = 1.1, sigma: float = 0.05, seed: int = 0
) -> torch.Tensor:
    """laplacian(gain), then contrast(factor), then noise(sigma)."""
    return noise(contrast(laplacian(latent, gain), factor), sigma, seed)


ENHANCEMENTS = {
    "laplacian": (laplacian, {"gain": 1.5}),
    "noise": (noise, {"sigma": 0.1, "seed": 0}),
    "contrast": (contrast, {"factor": 1.2}),
    "hybrid": (hybrid, {"gain": 1.5, "factor": 1.1, "sigma": 0.05, "seed": 0}),
}
