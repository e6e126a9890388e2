"""Long audio in overlapping chunks: bounded working memory, no audible seam.

A stage (VAE encode, VAE decode, vocoder) runs on windows of a fixed length along time: each
window is a *core* plus `context` steps either side (shifted inward at the file's edges, so every
window has the same length and windows can be batched). Only the core of each output is kept,
and the cores tile the output exactly. Convolutions see the same neighbourhood as in one whole
pass as long as `context` covers their receptive field; the VAE's global mid-block attention
does not, so chunked output equals whole-file output within a tolerance (measured in
`tests/test_chunking.py`), not bit-exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import torch


@dataclass(frozen=True)
class Window:
    """Input steps `[start, stop)` are processed; output for `[keep_start, keep_stop)` is kept."""

    start: int
    stop: int
    keep_start: int
    keep_stop: int


def windows(total: int, core: int, context: int, multiple: int = 1) -> list[Window]:
    """Equal-length windows whose cores tile `[0, total)`.

    Args:
        total: steps along time (a multiple of `multiple`).
        core: steps kept per window.
        context: extra steps on each side (fewer at the edges, where the window shifts inward).
        multiple: every boundary is a multiple of this (the VAE's down-sampling factor), so
            each window maps to whole latent rows.

    Returns:
        windows of length `core + 2 * context`, in order; one window over everything when
        `total <= core + 2 * context`.
    """
    if core <= 0 or context < 0 or multiple <= 0:
        raise ValueError(f"need core > 0, context >= 0, multiple > 0; got {core}, {context}, {multiple}")
    if total % multiple or core % multiple or context % multiple:
        raise ValueError(f"total {total}, core {core} and context {context} must be multiples of {multiple}")
    if total <= core + 2 * context:  # one window covers it all: process it whole
        return [Window(0, total, 0, total)]
    length = core + 2 * context
    out = []
    for keep_start in range(0, total, core):
        keep_stop = min(total, keep_start + core)
        start = min(max(keep_start - context, 0), total - length)
        out.append(Window(start, start + length, keep_start, keep_stop))
    return out


def run_chunked(
    fn: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    *,
    dim: int,
    out_dim: int,
    ratio: Fraction | int,
    core: int,
    context: int,
    multiple: int = 1,
    batch: int = 1,
) -> torch.Tensor:
    """`fn` applied to overlapping windows of `x` along `dim`, cores stitched along `out_dim`.

    Args:
        fn: maps `[b, ..., W (at dim), ...]` to an output with `W * ratio` steps at `out_dim`
            (e.g. VAE encode: mel `[b, W, 64]` -> latent `[b, 8, W / 4, 16]`, ratio 1/4).
        x: input with time at `dim` and batch first.
        ratio: output steps per input step (a Fraction for down-sampling).
        core, context, multiple: see `windows`.
        batch: windows stacked per call (more windows per call use a GPU better).

    Returns:
        the output for all of `x`, `x.shape[dim] * ratio` steps at `out_dim`.
    """
    ratio = Fraction(ratio)
    total = x.shape[dim]
    plan = windows(total, core, context, multiple)
    pieces = []
    for first in range(0, len(plan), batch):
        group = plan[first : first + batch]
        out = fn(torch.cat([x.narrow(dim, w.start, w.stop - w.start) for w in group], dim=0))
        for i, w in enumerate(group):
            part = out[i * x.shape[0] : (i + 1) * x.shape[0]]
            pieces.append(
                part.narrow(
                    out_dim, int((w.keep_start - w.start) * ratio), int((w.keep_stop - w.keep_start) * ratio)
                )
            )
    return torch.cat(pieces, dim=out_dim)
