"""Deliberate mistakes, for proving that the quality gates catch them.

`transposed_vae_griffinlim` is the codec path with the reports' layout mistake: the log-mel is
fed to the VAE as [B, 1, 64, T] (bypassing the codec's guard), then Griffin-Lim as usual.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from evals.methods import Method, Reconstruct


def _transposed(root: Path | None, device: str) -> Reconstruct:
    import torch

    from codec.constants import MIN_SAMPLES
    from codec.frontend import log_mel, padded_length, prepare_waveform, restore_gain
    from codec.loading import load_autoencoder
    from codec.vocoders import GriffinLimVocoder

    model = load_autoencoder(root).eval()
    vocoder = GriffinLimVocoder()

    @torch.inference_mode()
    def reconstruct(wave: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(wave, dtype=np.float32))[None]
        prep = prepare_waveform(x)
        length = padded_length(max(x.shape[-1], MIN_SAMPLES), 4)
        mel = log_mel(torch.nn.functional.pad(prep.wave, (0, length - x.shape[-1])))  # [1, T, 64]
        swapped = mel.transpose(1, 2)[:, None]  # the reports' [1, 1, 64, T]
        decoded = model.decode(model.encode(swapped).latent_dist.mode()).sample[:, 0].transpose(1, 2)
        out = vocoder(decoded.contiguous())[:, : x.shape[-1]]
        return restore_gain(out, prep.scale, prep.offset)[0].numpy()

    return reconstruct


TRANSPOSED = Method("vae+griffinlim+transposed-input", "MUTATION: VAE fed [B, 1, 64, T]", ("vae",), _transposed)


def per_clip_shift(estimate: np.ndarray, reference: np.ndarray, delay: int):
    """The old per-clip alignment, as a stand-in for `evals.running.align.shift`: ignores the method's delay
    and shifts each clip by its own cross-correlation peak whenever the peak passed 0.1."""
    from evals.running.align import estimate_lag, shift

    lag, peak = estimate_lag(estimate, reference)
    return shift(estimate, reference, lag if peak >= 0.1 else 0)
