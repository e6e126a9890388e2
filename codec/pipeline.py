"""The `Codec` facade: waveform -> latent -> waveform, with AudioLDM2's exact front end.

wave [C, N] @ any rate --(mono mean, soxr)--> [N16] @ 16 kHz --(prep, pad)--> log-mel
[1, T, 64] --VAE--> latent [1, 8, T/4, 16] --VAE--> log-mel --vocoder--> [160 T]
--(trim, gain restore)--> [N16] @ 16 kHz (or resampled back to the original rate)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import torch

from .audio import as_float_pcm, check_sample_rate, fit_length, resample, to_mono_16k
from .chunking import run_chunked
from .constants import DEFAULT_MODEL, HOP_LENGTH, SAMPLE_RATE
from .errors import InvalidAudioError
from .frontend import log_mel, padded_length, prepare_waveform, restore_gain
from .loading import load_autoencoder, load_hifigan, resolve_weights, weights_fingerprint
from .resources import audio_bytes, check_memory
from .vae import VAE
from .vocoders import GriffinLimVocoder, HifiGanVocoder, Vocoder, vocode

VOCODERS = ("hifigan", "griffinlim")
CHUNK_FRAMES = 2048
"""Frames (20.48 s) kept per chunk of a long input; shorter inputs run in one pass."""
VAE_CONTEXT_FRAMES = 64
"""Frames of context either side of a VAE chunk (0.64 s; beyond the convolutions' reach)."""
VOCODER_CONTEXT_FRAMES = 32
"""Frames of context either side of a vocoder chunk (HiFi-GAN's receptive field is shorter)."""


@dataclass(frozen=True)
class EncodedAudio:
    """A latent plus everything decoding needs.

    Attributes:
        latent: float32 `[1, 8, T / 4, 16]` (raw posterior; see `codec.vae`).
        num_samples: length at 16 kHz before padding (the decoded length).
        sample_rate: the input's original rate in Hz.
        original_num_samples: the input's length at its original rate.
        scale, offset: the prep's gain and removed mean: `wave = prepared * scale + offset`.
        model_id: the weights the latent came from.
    """

    latent: torch.Tensor
    num_samples: int
    sample_rate: int
    original_num_samples: int
    scale: float
    offset: float
    model_id: str = ""


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """`"auto"` -> CUDA when available, else CPU; anything else is checked and returned."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device {str(device)!r} asked for, but CUDA is not available here; use 'cpu' or 'auto'"
        )
    return dev


class Codec:
    """AudioLDM2's VAE as an audio codec.

    Args:
        vae: the `VAE` stage.
        vocoder: any `Vocoder` (HiFi-GAN, Griffin-Lim, or a test double).
        device: where the models run.
        model_id: recorded in every `EncodedAudio`.
        chunk_frames: long inputs run in chunks of this many mel frames (plus context), so
            working memory is bounded whatever the length (see `codec.chunking`); a multiple of
            the VAE's factor. Inputs up to `chunk_frames + 2 * context` run in one pass.
        chunk_batch: chunks per model call (default 1 on CPU, 8 on CUDA).
    """

    def __init__(
        self,
        vae: VAE,
        vocoder: Vocoder,
        device: torch.device | str = "cpu",
        model_id: str = "",
        chunk_frames: int = CHUNK_FRAMES,
        chunk_batch: int | None = None,
    ):
        self.device = resolve_device(device)
        self.vae = vae.to(self.device)
        self.vocoder = vocoder.to(self.device)
        self.model_id = model_id
        if chunk_frames <= 0 or chunk_frames % self.vae.factor:
            raise ValueError(
                f"chunk_frames must be a positive multiple of {self.vae.factor}; got {chunk_frames}"
            )
        self.chunk_frames = chunk_frames
        self.chunk_batch = chunk_batch or (8 if self.device.type == "cuda" else 1)

    def encode_mel(
        self, mel: torch.Tensor, *, sample: bool = False, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """VAE-encodes a log-mel `[B, T, 64]` (T a multiple of the factor) in chunks.

        Returns:
            float32 latent `[B, 8, T / factor, 16]`.
        """
        f = self.vae.factor
        return run_chunked(
            lambda m: self.vae.encode(m, sample=sample, generator=generator),
            mel,
            dim=1,
            out_dim=2,
            ratio=Fraction(1, f),
            core=self.chunk_frames,
            context=VAE_CONTEXT_FRAMES,
            multiple=f,
            batch=self.chunk_batch,
        )

    def decode_mel(self, latent: torch.Tensor) -> torch.Tensor:
        """VAE-decodes a latent `[B, 8, R, 16]` in chunks; returns float32 log-mel `[B, R * factor, 64]`."""
        f = self.vae.factor
        return run_chunked(
            self.vae.decode,
            latent,
            dim=2,
            out_dim=1,
            ratio=f,
            core=self.chunk_frames // f,
            context=VAE_CONTEXT_FRAMES // f,
            batch=self.chunk_batch,
        )

    def vocode(self, mel: torch.Tensor) -> torch.Tensor:
        """Vocodes a log-mel `[B, T, 64]` in chunks; returns float32 `[B, 160 T]`."""
        return run_chunked(
            lambda m: vocode(self.vocoder, m),
            mel,
            dim=1,
            out_dim=1,
            ratio=HOP_LENGTH,
            core=self.chunk_frames,
            context=VOCODER_CONTEXT_FRAMES,
            batch=self.chunk_batch,
        )

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str = DEFAULT_MODEL,
        *,
        vocoder: str = "hifigan",
        device: str | torch.device = "auto",
        dtype: torch.dtype = torch.float32,
        griffinlim_iters: int = 32,
        **options,
    ) -> Codec:
        """Loads `vae/` (and `vocoder/` for HiFi-GAN) from a local folder or a cached hub id.

        Args:
            name_or_path: local folder in the hub layout, or a hub id (default
                `cvssp/audioldm2-music`; cache first, honours `HF_HUB_OFFLINE`).
            vocoder: `"hifigan"` (needs `vocoder/`) or `"griffinlim"` (needs no weights).
            device: `"auto"`, `"cpu"`, `"cuda"`, ...
            dtype: model compute dtype; float32 by default (the released VAE asks for it).
            griffinlim_iters: iterations when `vocoder="griffinlim"`.
            **options: `chunk_frames`, `chunk_batch` (see `Codec`).

        Raises:
            ValueError: unknown vocoder or unavailable device.
            WeightsNotFoundError: the weights are nowhere to be found (says how to provide them).
            IncompatibleModelError: the weights do not have AudioLDM2's interface.
        """
        if vocoder not in VOCODERS:
            raise ValueError(f"vocoder must be one of {VOCODERS}; got {vocoder!r}")
        dev = resolve_device(device)
        parts = ("vae", "vocoder") if vocoder == "hifigan" else ("vae",)
        root = resolve_weights(name_or_path, parts)
        vae = VAE(load_autoencoder(root, dtype), dtype=dtype, fingerprint=weights_fingerprint(root, ("vae",)))
        voc = (
            HifiGanVocoder(load_hifigan(root, dtype), dtype=dtype)
            if vocoder == "hifigan"
            else GriffinLimVocoder(n_iter=griffinlim_iters)
        )
        return cls(vae, voc, device=dev, model_id=str(name_or_path), **options)

    def encode(self, wave, sample_rate: int, *, sample: bool = False, seed: int = 0) -> EncodedAudio:
        """Encodes one clip.

        Args:
            wave: `[N]` or `[C, N]` (channels first) PCM, numpy or torch, int or float.
            sample_rate: rate of `wave` in Hz (resampled to 16 kHz with soxr).
            sample: draw the latent from the posterior instead of its mode (default: mode).
            seed: seeds that draw.

        Returns:
            `EncodedAudio` with latent `[1, 8, ceil(T / 4), 16]`, T = N16 // 160 + 1.

        Raises:
            InvalidAudioError: empty, non-finite or badly shaped input, or a bad sample rate.
        """
        rate = check_sample_rate(sample_rate)
        shape = getattr(wave, "shape", None)
        if shape is not None and len(shape) in (1, 2):
            check_memory(
                audio_bytes(shape[-1], shape[0] if len(shape) == 2 else 1, rate), "encoding this audio"
            )
        pcm = as_float_pcm(wave)  # [C, N] float32, validated
        mono = torch.from_numpy(to_mono_16k(pcm, rate))[None].to(self.device)  # [1, N16]
        prepared = prepare_waveform(mono)
        length = padded_length(mono.shape[-1], self.vae.factor)
        padded = torch.nn.functional.pad(prepared.wave, (0, length - mono.shape[-1]))
        generator = torch.Generator(device=self.device).manual_seed(seed) if sample else None
        latent = self.encode_mel(
            log_mel(padded, chunk_frames=self.chunk_frames), sample=sample, generator=generator
        )
        return EncodedAudio(
            latent=latent,
            num_samples=int(mono.shape[-1]),
            sample_rate=rate,
            original_num_samples=pcm.shape[-1],
            scale=float(prepared.scale[0]),
            offset=float(prepared.offset[0]),
            model_id=self.model_id,
        )

    def decode(self, encoded: EncodedAudio, *, output_rate: int | None = None) -> np.ndarray:
        """Decodes to a mono waveform at the original gain.

        Args:
            encoded: from `encode`.
            output_rate: None for 16 kHz (`num_samples` long); any rate resamples with soxr and
                fits the length to the input's duration at that rate (the original length when
                it is the original rate).

        Returns:
            float32 `[num_samples]` at 16 kHz, or the resampled waveform.

        Raises:
            InvalidAudioError: the decoded waveform holds NaN or Inf samples (e.g. a crafted gain).
            ResourceError: the decoded audio would not fit in the available memory.
        """
        check_memory(
            audio_bytes(encoded.num_samples) + 8 * encoded.original_num_samples, "decoding this audio"
        )
        mel = self.decode_mel(encoded.latent.to(self.device))
        wave = self.vocode(mel)[:, : encoded.num_samples]
        scale = torch.tensor([encoded.scale], device=wave.device)
        offset = torch.tensor([encoded.offset], device=wave.device)
        out = restore_gain(wave, scale, offset)[0].cpu().numpy()
        if out.size and not (np.isfinite(out.min()) and np.isfinite(out.max())):  # NaN propagates; no copy
            bad = int(np.count_nonzero(~np.isfinite(out)))  # e.g. a crafted container's gain
            raise InvalidAudioError(
                f"decoding gives {bad} NaN or Inf samples of {out.size} (the encoded gain is scale "
                f"{encoded.scale:g}, offset {encoded.offset:g}): the encoded audio is damaged or crafted"
            )
        if output_rate is None or output_rate == SAMPLE_RATE:
            return out
        rate = check_sample_rate(output_rate)
        target = round(encoded.original_num_samples * rate / encoded.sample_rate)
        return fit_length(resample(out, SAMPLE_RATE, rate), target)

    def pack(
        self,
        encoded: EncodedAudio,
        *,
        quantisation: str | None = None,
        entropy: str | None = None,
        bits: float | None = None,
    ) -> bytes:
        """An `.al2c` container of `encoded` (see `codec.container` for the byte layout).

        Args:
            quantisation: "float32" (lossless), "float16" (default) or "int8" (per channel); or
                "uniform", the rate ladder (implied by `bits`).
            entropy: "none", "zlib" (default) or "lzma" (lossless coding of the quantised latent);
                "range" with the uniform quantisation (implied by `bits`).
            bits: the rate ladder's setting, bits per coded latent value (1 to 12; see
                `codec.latent_coding`): per channel uniform steps, range-coded.

        Raises:
            ContainerError: a bad setting, or `bits` with another quantisation or coder.
        """
        from .container import LADDER, Container, pack
        from .errors import ContainerError
        from .latent_coding import check_bits

        if bits is not None:
            bits = check_bits(bits)
            if (quantisation or LADDER[0], entropy or LADDER[1]) != LADDER:
                raise ContainerError(
                    f"bits sets the uniform quantisation, range-coded; it does not combine with "
                    f"quantisation {quantisation!r}, entropy {entropy!r}"
                )
            quantisation, entropy = LADDER
        return pack(
            Container(
                latent=encoded.latent.cpu().numpy(),
                sample_rate=encoded.sample_rate,
                original_num_samples=encoded.original_num_samples,
                num_samples=encoded.num_samples,
                scale=encoded.scale,
                offset=encoded.offset,
                model_sha256=self.vae.fingerprint(),
                model_id=encoded.model_id or self.model_id,
                quantisation=quantisation or "float16",
                entropy=entropy or "zlib",
                bits=bits,
            )
        )

    def unpack(self, data: bytes) -> EncodedAudio:
        """Reads an `.al2c` container; refuses a damaged one and one made by another model.

        The model is this codec's: the container's stored fingerprint must match its VAE. The model
        id the file names is informational only and is never resolved, fetched or loaded.

        Raises:
            ContainerError: damaged, truncated, of another version, or not a container.
            ModelMismatchError: encoded with different weights than this codec's VAE.
        """
        from .container import unpack
        from .errors import ModelMismatchError

        c = unpack(data)
        if c.model_sha256 != self.vae.fingerprint():
            raise ModelMismatchError(
                f"this container was encoded with another model (VAE sha256 {c.model_sha256[:12]}...; "
                f"the file names it {c.model_id!r}, a name that is not checked), but the loaded model is "
                f"{self.model_id!r} (sha256 {self.vae.fingerprint()[:12]}...); decode it with "
                f"--weights naming the weights that encoded it"
            )
        return EncodedAudio(
            latent=torch.from_numpy(c.latent.copy()),
            num_samples=c.num_samples,
            sample_rate=c.sample_rate,
            original_num_samples=c.original_num_samples,
            scale=c.scale,
            offset=c.offset,
            model_id=c.model_id,
        )

    def reconstruct(
        self, wave, sample_rate: int, *, output_rate: int | None = None, sample: bool = False, seed: int = 0
    ) -> np.ndarray:
        """`decode(encode(wave, sample_rate))`; see both for arguments and shapes."""
        encoded = self.encode(wave, sample_rate, sample=sample, seed=seed)
        return self.decode(encoded, output_rate=output_rate)
