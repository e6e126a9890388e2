"""The reports' methods (docs/report-baselines.md), each selectable by name:

griffinlim-{32,64,256}it[-plain]        64-band AudioLDM2 log-mel -> Griffin-Lim (torch),
                                        momentum 0.99, or none ("-plain"); 32 it. with
                                        momentum is the core method `griffinlim`
mel80+griffinlim-{32,64,256}it[-plain]  report 002's 80-band power mel, n_fft 1024, hop 256
                                        (pseudo-inverse, not librosa's slower NNLS:
                                        docs/measurements/timings.md)
vae+griffinlim+{laplacian,noise,contrast,hybrid}   report 003's latent enhancements
legacy+vae+griffinlim                   the reports' own (wrong) front end, run as they ran it
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from evals.methods.base import Method, Reconstruct
from evals.methods.core import griffinlim_builder

ITERATIONS = (32, 64, 256)
MEL80_N_FFT, MEL80_HOP, MEL80_BANDS = 1024, 256, 80


def _mel80_griffinlim(
    root: Path | None, device: str, n_iter: int = 32, momentum: float = 0.99
) -> Reconstruct:
    import librosa
    import torch

    from codec.griffinlim import griffin_lim

    basis = librosa.filters.mel(sr=16000, n_fft=MEL80_N_FFT, n_mels=MEL80_BANDS)  # slaney, 0-8 kHz
    inverse = torch.linalg.pinv(torch.from_numpy(basis).double()).float()
    window = torch.hann_window(MEL80_N_FFT, periodic=True)

    def reconstruct(wave: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.pad(wave.astype(np.float32), (0, max(0, MEL80_N_FFT // 2 + 1 - len(wave)))))
        spec = torch.stft(
            x,
            MEL80_N_FFT,
            hop_length=MEL80_HOP,
            window=window,
            center=True,
            pad_mode="reflect",
            return_complex=True,
        ).abs()
        power_mel = torch.from_numpy(basis) @ spec**2  # [80, T]: what report 002 kept
        magnitude = torch.sqrt(torch.clamp(inverse @ power_mel, min=0.0))
        frames = magnitude.shape[-1]
        out = griffin_lim(
            magnitude[None],
            n_iter=int(n_iter),
            momentum=float(momentum),
            length=MEL80_HOP * (frames - 1),
            n_fft=MEL80_N_FFT,
            hop=MEL80_HOP,
        )[0]
        return np.pad(out.numpy(), (0, max(0, len(wave) - out.shape[-1])))[: len(wave)]

    return reconstruct


def _enhanced(kind: str):
    def build(root: Path | None, device: str, **params) -> Reconstruct:
        from dataclasses import replace

        import torch

        from codec.pipeline import Codec
        from evals.methods.latent_enhancements import ENHANCEMENTS

        transform, defaults = ENHANCEMENTS[kind]
        settings = {**defaults, **params}
        codec = Codec.from_pretrained(str(root), vocoder="griffinlim", device=device)

        def reconstruct(wave: np.ndarray) -> np.ndarray:
            encoded = codec.encode(wave, 16000)
            with torch.inference_mode():
                latent = transform(encoded.latent, **settings)
            return codec.decode(replace(encoded, latent=latent))

        return reconstruct

    return build


def _legacy(root: Path | None, device: str, n_iter: int = 32) -> Reconstruct:
    import torch

    from codec.loading import load_autoencoder
    from evals.methods.legacy_frontend import legacy_inverse, legacy_mel

    vae = load_autoencoder(root).to(device).eval()

    def reconstruct(wave: np.ndarray) -> np.ndarray:
        meta = legacy_mel(wave)
        x = torch.from_numpy(meta.x).to(device)  # [1, 1, 64, T]: the transposed layout, on purpose
        x = x[..., : 4 * (x.shape[-1] // 4)] if x.shape[-1] >= 4 else x  # the VAE floors anyway
        with torch.inference_mode():
            latent = vae.encode(x).latent_dist.sample(generator=torch.Generator(device).manual_seed(0))
            decoded = vae.decode(latent).sample.float().cpu().numpy()
        return legacy_inverse(decoded, meta, len(wave), n_iter=int(n_iter))

    return reconstruct


def report_methods() -> list[Method]:
    methods = []
    for n in ITERATIONS:
        for momentum, suffix in ((0.99, ""), (0.0, "-plain")):
            kind = "fast Griffin-Lim, momentum 0.99" if momentum else "classic Griffin-Lim"
            params = {"n_iter": n, "momentum": momentum}
            if (n, suffix) != (32, ""):  # that one is the core method `griffinlim`
                methods.append(
                    Method(
                        f"griffinlim-{n}it{suffix}",
                        f"64-band log-mel -> {n} it. {kind}",
                        (),
                        griffinlim_builder,
                        params,
                    )
                )
            methods.append(
                Method(
                    f"mel80+griffinlim-{n}it{suffix}",
                    f"report 002: 80-band power mel, hop 256 -> {n} it. {kind}",
                    (),
                    _mel80_griffinlim,
                    params,
                )
            )
    from evals.methods.latent_enhancements import ENHANCEMENTS

    for kind, (_, defaults) in ENHANCEMENTS.items():
        methods.append(
            Method(
                f"vae+griffinlim+{kind}",
                f"report 003: VAE latent '{kind}' enhancement, then Griffin-Lim",
                ("vae",),
                _enhanced(kind),
                dict(defaults),
            )
        )
    methods.append(
        Method(
            "legacy+vae+griffinlim",
            "the reports' own front end (dB mel /20, [-1, 1], "
            "[1, 1, 64, T]) -> VAE (sample) -> librosa mel_to_audio",
            ("vae",),
            _legacy,
            {"n_iter": 32},
        )
    )
    return methods
