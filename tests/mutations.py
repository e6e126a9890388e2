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


TRANSPOSED = Method(
    "vae+griffinlim+transposed-input", "MUTATION: VAE fed [B, 1, 64, T]", ("vae",), _transposed
)


def per_clip_shift(estimate: np.ndarray, reference: np.ndarray, delay: int):
    """The old per-clip alignment, as a stand-in for `evals.running.align.shift`: ignores the method's delay
    and shifts each clip by its own cross-correlation peak whenever the peak passed 0.1."""
    from evals.running.align import estimate_lag, shift

    lag, peak = estimate_lag(estimate, reference)
    return shift(estimate, reference, lag if peak >= 0.1 else 0)


def _copysynth_mutant(mistake: str):
    """copysynth (original log-mel -> reference HiFi-GAN) with one vocoder-side mistake."""

    def build(root: Path | None, device: str) -> Reconstruct:
        import soxr
        import torch

        from codec.constants import HOP_LENGTH, MIN_SAMPLES
        from codec.frontend import log_mel, prepare_waveform, restore_gain
        from codec.loading import load_hifigan
        from codec.vocoders import HifiGanVocoder, vocode

        half = mistake == "half-on-cpu"
        vocoder = HifiGanVocoder(
            load_hifigan(root, torch.float16 if half else torch.float32),
            torch.float16 if half else torch.float32,
        )

        @torch.inference_mode()
        def forced(mel: torch.Tensor) -> torch.Tensor:  # the model called past HifiGanVocoder's guards
            if mistake == "channels-first":  # [B, 64, T] data read as [B, T, 64]
                mel = mel.transpose(1, 2).reshape(mel.shape)
            wave = vocoder.model(mel.to(vocoder.dtype)).float()
            return wave if mistake == "no-trim" else wave[:, : HOP_LENGTH * mel.shape[1]]

        forced.name = "hifigan"

        @torch.inference_mode()
        def reconstruct(wave: np.ndarray) -> np.ndarray:
            x = torch.from_numpy(np.ascontiguousarray(wave, dtype=np.float32))[None]
            prep = prepare_waveform(x)
            padded = torch.nn.functional.pad(prep.wave, (0, max(0, MIN_SAMPLES - x.shape[-1])))
            out = vocode(forced, log_mel(padded))
            if mistake == "wrong-rate":  # the 16 kHz output taken for 22,050 Hz and resampled to 16 kHz
                out = torch.from_numpy(soxr.resample(out[0].numpy(), 22050, 16000))[None]
            return restore_gain(out[:, : x.shape[-1]], prep.scale, prep.offset)[0].numpy()

        return reconstruct

    return build


VOCODER_MISTAKES = {
    "no-trim": "the vocoder's 160 T + 32 samples not trimmed to 160 T",
    "channels-first": "the log-mel's [B, 64, T] data fed as [B, T, 64] (past the layout guard)",
    "wrong-rate": "the 16 kHz output taken for 22,050 Hz and resampled to 16 kHz",
    "half-on-cpu": "the vocoder in float16 on a CPU (past the dtype guard)",
}
VOCODER_MUTANTS = [
    Method(f"copysynth+{m}", f"MUTATION: {why}", ("vocoder",), _copysynth_mutant(m), delay=None)
    for m, why in VOCODER_MISTAKES.items()
]
