"""The rate ladder measured: `python -m scripts.latent_ladder [--weights golden/reference] [CLIP ...]`.

For each `bits` of `evals.methods.core.LADDER_SWEEP`, over the clips (default: the 12 golden clips)
with the given VAE: mean kbit/s of the `.al2c` file and of its payload (the range-coded words and the
channel table the decoder needs), of lzma (xz preset 9) on the same symbols (int16, coded channels
only) plus the same table (the floor the coder must beat),
of the payload with no channel dropped (what dropping the near-constant channels saves), and the
coder's time per clip (pack: fit, quantise, range-code; unpack: verify, decode, dequantise; the VAE
is not timed). Every rate comes from bytes; prints a Markdown table.
"""

from __future__ import annotations

import argparse
import lzma
import time
from pathlib import Path

import numpy as np


def measure(latents: list, lengths: list[int], bits: float) -> dict[str, float]:
    """Mean kbit/s and ms per clip at `bits` over `latents` (float32 `[1, C, R, F]` each, of clips
    `lengths` samples long at 16 kHz)."""
    from codec.container import TABLE_ENTRY, Container, pack, payload_bytes, unpack
    from codec.latent_coding import fit_channels, to_symbols

    rows: dict[str, list[float]] = {}
    for latent, samples in zip(latents, lengths, strict=True):
        secs = samples / 16000
        c = Container(
            latent=latent,
            sample_rate=16000,
            original_num_samples=samples,
            num_samples=samples,
            scale=1.0,
            offset=0.0,
            model_sha256="00" * 32,
            model_id="golden/reference",
            quantisation="uniform",
            entropy="range",
            bits=bits,
        )
        start = time.perf_counter()
        data = pack(c)
        packed = time.perf_counter()
        unpack(data)
        done = time.perf_counter()
        models = fit_channels(latent, bits)
        symbols = to_symbols(latent, models)
        coded = [i for i, m in enumerate(models) if m.coded]
        floor = lzma.compress(symbols[coded].astype("<i2").tobytes(), preset=9)
        kept = pack(Container(**{**c.__dict__, "channels": fit_channels(latent, bits, drop_ratio=0.0)}))
        for key, value in {
            "file": len(data),
            "payload": payload_bytes(data),
            "lzma": len(floor) + TABLE_ENTRY.size * len(models),
            "no_drop_file": len(kept),
            "no_drop_payload": payload_bytes(kept),
        }.items():
            rows.setdefault(key, []).append(8 * value / secs / 1000)
        rows.setdefault("pack_ms", []).append(1000 * (packed - start))
        rows.setdefault("unpack_ms", []).append(1000 * (done - packed))
        rows.setdefault("coded", []).append(len(coded))
    return {key: float(np.mean(values)) for key, values in rows.items()}


def main(argv: list[str] | None = None) -> int:
    from codec.audio import to_mono_16k
    from codec.audio_files import read_audio
    from codec.pipeline import Codec
    from evals.methods.core import LADDER_SWEEP

    parser = argparse.ArgumentParser(
        prog="python -m scripts.latent_ladder", description=__doc__.split("\n")[0]
    )
    parser.add_argument("clips", nargs="*", type=Path, help="audio files (default: golden/clips/*.flac)")
    parser.add_argument("--weights", default="golden/reference", help="VAE folder (default golden/reference)")
    args = parser.parse_args(argv)
    clips = args.clips or sorted(Path("golden/clips").glob("*.flac"))
    codec = Codec.from_pretrained(args.weights, vocoder="griffinlim", device="cpu")
    latents, lengths = [], []
    for clip in clips:
        wave = to_mono_16k(*read_audio(clip))
        latents.append(codec.encode(wave, 16000).latent.numpy())
        lengths.append(len(wave))
    print(
        f"{len(clips)} clips, {sum(lengths) / 16000:.1f} s, VAE {args.weights}; "
        "mean over clips, kbit/s from bytes\n"
    )
    print(
        "| bits | file kbit/s | payload kbit/s | lzma on the symbols | payload, no channel dropped "
        "| drop saves | coded channels | pack ms | unpack ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for bits in LADDER_SWEEP:
        m = measure(latents, lengths, bits)
        print(
            f"| {bits} | {m['file']:.2f} | {m['payload']:.2f} | {m['lzma']:.2f} | {m['no_drop_payload']:.2f} "
            f"| {m['no_drop_file'] - m['file']:.2f} | {m['coded']:.1f} | {m['pack_ms']:.1f} "
            f"| {m['unpack_ms']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
