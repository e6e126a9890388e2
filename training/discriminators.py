"""HiFi-GAN's discriminators and losses (Kong et al. 2020, "HiFi-GAN", section 2.2-2.3), narrowed
for CPU training of the reference vocoder (training/vocoder.py --adversarial-from).

Why written here: no well-kept package that installs on this project's machines provides them.
parallel_wavegan 0.6.1 imports `scipy.signal.kaiser` (removed in SciPy 1.13) and `distutils`
(removed in Python 3.12); speechbrain's and vocos' discriminators import torchaudio, which has no
CPU build here. The layers below follow the paper's (and its reference code's) layout, only with
fewer channels: `width` scales every channel count.

- Multi-period discriminator: for each period p in PERIODS the wave `[B, T]` is folded to
  `[B, 1, T / p, p]` and judged by 2-D convolutions of kernel (5, 1).
- Multi-scale discriminator: the wave at x1, x2 and x4 average-pooled, judged by grouped 1-D
  convolutions.
- Least-squares GAN losses and feature matching (L1 between the discriminators' feature maps of
  the real and the generated wave).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import weight_norm

PERIODS = (2, 3, 5, 7, 11)
LEAK = 0.1


def _channels(base: tuple[int, ...], width: float) -> list[int]:
    return [max(4, int(c * width)) for c in base]


def _judge(convs: nn.ModuleList, post: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Leaky-ReLU conv stack then the scoring conv: (scores `[B, N]`, every layer's feature map)."""
    features = []
    for conv in convs:
        x = F.leaky_relu(conv(x), LEAK)
        features.append(x)
    x = post(x)
    features.append(x)
    return x.flatten(1), features


class PeriodDiscriminator(nn.Module):
    """One period p: `[B, T]` -> (scores `[B, N]`, feature maps)."""

    def __init__(self, period: int, width: float):
        super().__init__()
        self.period = period
        chans = [1, *_channels((32, 128, 512, 1024, 1024), width)]
        self.convs = nn.ModuleList(
            weight_norm(
                nn.Conv2d(chans[i], chans[i + 1], (5, 1), (3, 1) if i < 4 else (1, 1), padding=(2, 0))
            )
            for i in range(5)
        )
        self.post = weight_norm(nn.Conv2d(chans[-1], 1, (3, 1), padding=(1, 0)))

    def forward(self, wave: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        x = wave[:, None]
        pad = (-x.shape[-1]) % self.period
        x = F.pad(x, (0, pad), mode="reflect")
        x = x.view(x.shape[0], 1, -1, self.period)
        return _judge(self.convs, self.post, x)


class ScaleDiscriminator(nn.Module):
    """One scale: `[B, T]` -> (scores `[B, N]`, feature maps)."""

    def __init__(self, width: float):
        super().__init__()
        c = _channels((128, 128, 256, 512, 1024, 1024, 1024), width)
        layout = [  # in, out, kernel, stride, groups (at most; a divisor of both channel counts)
            (1, c[0], 15, 1, 1),
            (c[0], c[1], 41, 2, 4),
            (c[1], c[2], 41, 2, 16),
            (c[2], c[3], 41, 4, 16),
            (c[3], c[4], 41, 4, 16),
            (c[4], c[5], 41, 1, 16),
            (c[5], c[6], 5, 1, 1),
        ]
        self.convs = nn.ModuleList(
            weight_norm(nn.Conv1d(i, o, k, s, groups=math.gcd(g, i, o), padding=k // 2))
            for i, o, k, s, g in layout
        )
        self.post = weight_norm(nn.Conv1d(c[6], 1, 3, padding=1))

    def forward(self, wave: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        x = wave[:, None]
        return _judge(self.convs, self.post, x)


class Discriminators(nn.Module):
    """Multi-period (PERIODS) and multi-scale (x1, x2, x4) together: `[B, T]` -> list of
    (scores, feature maps), one per sub-discriminator (8)."""

    def __init__(self, width: float = 0.125):
        super().__init__()
        self.periods = nn.ModuleList(PeriodDiscriminator(p, width) for p in PERIODS)
        self.scales = nn.ModuleList(ScaleDiscriminator(width) for _ in range(3))

    def forward(self, wave: torch.Tensor) -> list[tuple[torch.Tensor, list[torch.Tensor]]]:
        out = [d(wave) for d in self.periods]
        x = wave
        for i, d in enumerate(self.scales):
            if i:
                x = F.avg_pool1d(x[:, None], 4, 2, padding=2)[:, 0]
            out.append(d(x))
        return out


def discriminator_loss(real: list, fake: list) -> torch.Tensor:
    """Least squares: real scores towards 1, generated towards 0, summed over sub-discriminators."""
    return sum(((1 - r) ** 2).mean() + (f**2).mean() for (r, _), (f, _) in zip(real, fake))


def generator_loss(real: list, fake: list) -> tuple[torch.Tensor, torch.Tensor]:
    """(adversarial: generated scores towards 1, feature matching: mean L1 of every feature map),
    each summed over sub-discriminators. `real` must come from a pass without gradients."""
    adversarial = sum(((1 - f) ** 2).mean() for f, _ in fake)
    matching = sum(
        (rf - ff).abs().mean() for (_, rfs), (_, ffs) in zip(real, fake) for rf, ff in zip(rfs, ffs)
    )
    return adversarial, matching
