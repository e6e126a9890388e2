"""The VAE stage: log-mel [B, T, 64] <-> latent [B, 8, T/4, 16] with diffusers' `AutoencoderKL`.

Latent convention: the raw posterior (mode or sample), *not* multiplied by the checkpoint's
`scaling_factor`; multiply by `VAE.scaling_factor` to get the diffusion UNet's convention. For a
codec round trip the factor would cancel.
"""

from __future__ import annotations

import torch

from .constants import N_MELS
from .errors import IncompatibleModelError, LayoutError
from .layout import check_mel_layout


class VAE:
    """AudioLDM2's mel VAE, with the layout enforced and no frame silently lost.

    Args:
        model: a diffusers `AutoencoderKL` with 1 input/output channel (AudioLDM2's layout).
        n_mels: mel bins of the front end (64).
        dtype: compute dtype (float32 by default: the released config sets `force_upcast`; float16
            is known to overflow). Results are always returned as float32.
        channels_last: run the convolutions in NHWC memory format (measured faster on CPU with
            oneDNN and on GPU with cuDNN; see the README's speed section). Same math.
        fingerprint: the model's SHA-256 if known (the loader passes the files' hash).
    """

    def __init__(
        self,
        model,
        n_mels: int = N_MELS,
        dtype: torch.dtype = torch.float32,
        channels_last: bool = True,
        fingerprint: str | None = None,
    ):
        cfg = model.config
        if cfg.in_channels != 1 or cfg.out_channels != 1:
            raise IncompatibleModelError(
                f"the VAE must have 1 input and 1 output channel (a mono log-mel); this one has "
                f"in_channels={cfg.in_channels}, out_channels={cfg.out_channels}"
            )
        self.factor = 2 ** (len(cfg.block_out_channels) - 1)
        if n_mels % self.factor:
            raise IncompatibleModelError(
                f"{n_mels} mel bins do not divide by the VAE's down-sampling factor {self.factor}"
            )
        if model.dtype != dtype:
            model = model.to(dtype=dtype)
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.model = model.eval().requires_grad_(False).to(memory_format=self.memory_format)
        self.n_mels = n_mels
        self.dtype = dtype
        self._fingerprint = fingerprint

    def fingerprint(self) -> str:
        """SHA-256 (hex) naming this model in a container (`codec.container`).

        Loaded from disk (`Codec.from_pretrained`): the hash of the `vae/` files, set at load
        time, so it does not depend on the dtype or device the model runs in. Built in memory:
        the hash of its config and float32 weights, computed once.
        """
        if self._fingerprint is None:
            import hashlib
            import json

            h = hashlib.sha256()
            config = {k: v for k, v in dict(self.model.config).items() if not k.startswith("_")}
            h.update(json.dumps(config, sort_keys=True, default=str).encode())
            for name, tensor in sorted(self.model.state_dict().items()):
                h.update(name.encode())
                h.update(tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
            self._fingerprint = h.hexdigest()
        return self._fingerprint

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def latent_channels(self) -> int:
        return self.model.config.latent_channels

    @property
    def scaling_factor(self) -> float:
        """The checkpoint's latent scale for the diffusion UNet (not applied by this class)."""
        return float(self.model.config.scaling_factor)

    def latent_shape(self, batch: int, frames: int) -> tuple[int, int, int, int]:
        """`(B, latent_channels, T / factor, n_mels / factor)` for a `[B, T, n_mels]` log-mel."""
        return (batch, self.latent_channels, frames // self.factor, self.n_mels // self.factor)

    def to(self, device) -> VAE:
        self.model.to(device)
        return self

    @torch.inference_mode()
    def encode(
        self, mel: torch.Tensor, *, sample: bool = False, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Encodes a log-mel.

        Args:
            mel: float `[B, T, n_mels]`, T a multiple of `factor` (pad the waveform, see
                `frontend.padded_length`).
            sample: draw from the posterior instead of taking its mode (deterministic default).
            generator: seeds the draw when `sample` is true.

        Returns:
            float32 latent `[B, latent_channels, T / factor, n_mels / factor]`.

        Raises:
            LayoutError: wrong layout, or T not a multiple of `factor` (frames would be lost).
        """
        check_mel_layout(mel, self.n_mels, "VAE.encode")
        frames = mel.shape[1]
        if frames % self.factor:
            raise LayoutError(
                f"VAE.encode needs a frame count divisible by {self.factor}; got {frames}, which "
                f"would silently drop {frames % self.factor} frame(s). Pad the waveform to "
                f"codec.frontend.padded_length(N, {self.factor}) samples before log_mel"
            )
        x = mel.to(device=self.device, dtype=self.dtype).unsqueeze(1)  # [B, 1, T, n_mels]
        posterior = self.model.encode(x.contiguous(memory_format=self.memory_format)).latent_dist
        latent = posterior.sample(generator=generator) if sample else posterior.mode()
        return latent.float().contiguous()

    @torch.inference_mode()
    def decode(self, latent: torch.Tensor) -> torch.Tensor:
        """Decodes a latent back to a log-mel.

        Args:
            latent: float `[B, latent_channels, T / factor, n_mels / factor]`.

        Returns:
            float32 log-mel `[B, T, n_mels]`.
        """
        expected = (self.latent_channels, self.n_mels // self.factor)
        if latent.ndim != 4 or (latent.shape[1], latent.shape[3]) != expected:
            raise LayoutError(
                f"VAE.decode expects a latent shaped [B, {expected[0]}, T/{self.factor}, "
                f"{expected[1]}]; got {list(latent.shape)}"
            )
        z = latent.to(device=self.device, dtype=self.dtype).contiguous(memory_format=self.memory_format)
        mel = self.model.decode(z).sample
        return mel[:, 0].float().contiguous()
