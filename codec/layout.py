"""The one log-mel layout the codec accepts, and the errors for the layouts it refuses.

AudioLDM2 keeps log-mels as `[B, T, n_mels]`: time on dim 1, mel bins last. The VAE sees them
as `[B, 1, T, n_mels]`, and HiFi-GAN takes `[B, T, n_mels]` and transposes internally. The
reports fed `[1, 1, 64, T]` (transposed) and got latents of the wrong shape; these guards
make that mistake an error.
"""

from __future__ import annotations

import torch

from .errors import LayoutError


def check_mel_layout(mel: torch.Tensor, n_mels: int, who: str) -> None:
    """Raises `LayoutError` unless `mel` is a finite float `[B, T, n_mels]` tensor.

    Args:
        mel: the tensor to check.
        n_mels: the model's mel-bin count (64 for AudioLDM2).
        who: the caller, named in the message.
    """
    expected = f"{who} expects a log-mel shaped [B, T, {n_mels}] (time, then {n_mels} mel bins)"
    if not isinstance(mel, torch.Tensor):
        raise TypeError(f"{expected}; got {type(mel).__name__}")
    shape = list(mel.shape)
    if mel.ndim == 4 and shape[1] == 1 and shape[2] == n_mels:
        raise LayoutError(
            f"{expected}; got {shape}, the transposed [B, 1, {n_mels}, T] layout of the early "
            f"reports: pass mel[:, 0].transpose(1, 2)"
        )
    if mel.ndim != 3:
        raise LayoutError(f"{expected}; got {mel.ndim}-D shape {shape}")
    if shape[2] != n_mels:
        hint = f": this looks like [B, {n_mels}, T], pass mel.transpose(1, 2)" if shape[1] == n_mels else ""
        raise LayoutError(f"{expected}; got {shape}, whose last dim is not {n_mels}{hint}")
    if shape[0] == 0 or shape[1] == 0:
        raise LayoutError(f"{expected}; got an empty tensor {shape}")
    if not mel.is_floating_point():
        raise LayoutError(f"{expected} of floats; got {mel.dtype}")
