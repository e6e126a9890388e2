"""Command line: `python -m codec reconstruct IN -o OUT [...]`.

Heavy imports (torch, diffusers) happen only after the arguments parse, so `--help` is instant.
Every error ends the process with status 1 and one line on stderr (`CODEC_DEBUG=1` shows the
traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

EXIT_ERROR = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m codec",
        description="AudioLDM2's VAE as an audio codec (AudioLDM2's exact 64-band log-mel front end).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("reconstruct", help="encode and decode an audio file (wav/flac/ogg)",
                         description="Round-trip IN through the VAE and a vocoder; write OUT.")
    rec.add_argument("input", metavar="IN", help="audio file (wav, flac, ogg, ...)")
    rec.add_argument("-o", "--output", metavar="OUT", required=True,
                     help="output file; .wav (float32), .flac (24-bit) or .ogg")
    rec.add_argument("--weights", metavar="ID_OR_PATH", default=None,
                     help="hub id (local cache) or folder with vae/ [and vocoder/]; "
                          "default cvssp/audioldm2-music")
    rec.add_argument("--vocoder", choices=("hifigan", "griffinlim"), default="hifigan")
    rec.add_argument("--griffinlim-iters", type=int, default=32, metavar="N")
    rec.add_argument("--device", default="auto", help="auto (CUDA if present), cpu, cuda, cuda:1 ...")
    rec.add_argument("--output-rate", default="original", metavar="HZ",
                     help="'original' (default: the input's rate and length) or a rate in Hz, e.g. 16000")
    rec.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    return parser


def reconstruct(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .audio_files import read_audio, write_audio
    from .constants import DEFAULT_MODEL
    from .errors import OutputExistsError

    out = Path(args.output)
    if out.exists() and not args.force:  # fail before the slow model load
        raise OutputExistsError(f"{out} exists; pass --force to overwrite it")
    wave, rate = read_audio(args.input)
    output_rate = rate if args.output_rate == "original" else _rate(args.output_rate)

    from .loading import quiet_model_libraries
    from .pipeline import Codec

    quiet_model_libraries()
    start = time.perf_counter()
    codec = Codec.from_pretrained(args.weights or DEFAULT_MODEL, vocoder=args.vocoder,
                                  device=args.device, griffinlim_iters=args.griffinlim_iters)
    loaded = time.perf_counter()
    result = codec.reconstruct(wave, rate, output_rate=output_rate)
    done = time.perf_counter()
    path = write_audio(out, result, output_rate, force=args.force, source=args.input)
    seconds = wave.shape[-1] / rate
    print(f"wrote {path}: {result.shape[-1]} samples at {output_rate} Hz ({seconds:.2f} s, mono); "
          f"model {codec.model_id} + {codec.vocoder.name} on {codec.device}; "
          f"load {loaded - start:.1f} s, round trip {done - loaded:.2f} s "
          f"({seconds / max(done - loaded, 1e-9):.1f}x real time)")
    return 0


def _rate(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise SystemExit(f"error: --output-rate must be 'original' or a rate in Hz; got {text!r}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return reconstruct(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - the CLI's contract: one line, no traceback
        if os.environ.get("CODEC_DEBUG"):
            raise
        from .errors import CodecError

        kind = "" if isinstance(err, CodecError) else f"{type(err).__name__}: "
        message = " ".join(str(err).split())
        print(f"error: {kind}{message}", file=sys.stderr)
        return EXIT_ERROR
