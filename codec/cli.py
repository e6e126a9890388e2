"""Command line: `python -m codec reconstruct|encode|decode IN -o OUT [...]`.

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
    audio_in, audio_out = (
        "audio file (wav, flac, ogg, ...)",
        "output file; .wav (float32), .flac (24-bit) or .ogg",
    )
    rec = _command(
        sub,
        "reconstruct",
        "encode and decode an audio file (wav/flac/ogg)",
        "Round-trip IN through the VAE and a vocoder; write OUT.",
        audio_in,
        audio_out,
        vocoder=True,
    )
    rec.add_argument(
        "--output-rate",
        default="original",
        metavar="HZ",
        help="'original' (default: the input's rate and length) or a rate in Hz, e.g. 16000",
    )
    enc = _command(
        sub,
        "encode",
        "audio file -> .al2c latent container",
        "Encode IN to a versioned, checksummed .al2c container (see the README).",
        audio_in,
        "container file (.al2c)",
        vocoder=False,
    )
    enc.add_argument(
        "--quant",
        choices=("float32", "float16", "int8"),
        default=None,
        help="latent quantisation (default float16; float32 is lossless)",
    )
    enc.add_argument(
        "--entropy",
        choices=("none", "zlib", "lzma"),
        default=None,
        help="lossless coding of the quantised latent (default zlib)",
    )
    enc.add_argument(
        "--bits",
        type=_bits,
        default=None,
        metavar="B",
        help="the rate ladder instead of --quant/--entropy: B bits per coded latent value, 1 to 12 "
        "(per channel uniform steps, range-coded; about 3 to 25 kbit/s)",
    )
    dec = _command(
        sub,
        "decode",
        ".al2c container -> audio file",
        "Decode an .al2c container with the weights given by --weights (default "
        "cvssp/audioldm2-music), which must be the ones that encoded it: the container's stored "
        "fingerprint is checked against them. The model id stored in the file is never loaded.",
        "container file from `encode`",
        audio_out,
        vocoder=True,
    )
    dec.add_argument(
        "--output-rate",
        default="original",
        metavar="HZ",
        help="'original' (default: the encoded input's rate and length) or a rate in Hz",
    )
    return parser


def _command(
    sub, name: str, summary: str, description: str, input_help: str, output_help: str, vocoder: bool
) -> argparse.ArgumentParser:
    """A subcommand with IN, -o OUT and the model options."""
    p = sub.add_parser(name, help=summary, description=description)
    p.add_argument("input", metavar="IN", help=input_help)
    p.add_argument("-o", "--output", metavar="OUT", required=True, help=output_help)
    p.add_argument(
        "--weights",
        metavar="ID_OR_PATH",
        default=None,
        help="hub id (local cache) or folder with vae/ [and vocoder/]; default cvssp/audioldm2-music",
    )
    if vocoder:
        p.add_argument("--vocoder", choices=("hifigan", "griffinlim"), default="hifigan")
        p.add_argument("--griffinlim-iters", type=int, default=32, metavar="N")
    p.add_argument("--device", default="auto", help="auto (CUDA if present), cpu, cuda, cuda:1 ...")
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    return p


def _load_codec(args: argparse.Namespace):
    from .constants import DEFAULT_MODEL
    from .loading import quiet_model_libraries
    from .pipeline import Codec

    quiet_model_libraries()
    return Codec.from_pretrained(
        args.weights or DEFAULT_MODEL,
        vocoder=getattr(args, "vocoder", "griffinlim"),
        device=args.device,
        griffinlim_iters=getattr(args, "griffinlim_iters", 32),
    )


def encode(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .atomic import check_output, write_bytes
    from .audio_files import read_audio
    from .container import bitrate_kbps

    if args.bits is not None and (args.quant or args.entropy):
        raise SystemExit("error: --bits sets the quantisation and the coder; drop --quant and --entropy")
    out = check_output(Path(args.output), force=args.force, source=args.input)  # before the slow load
    wave, rate = read_audio(args.input)
    start = time.perf_counter()
    codec = _load_codec(args)
    encoded = codec.encode(wave, rate)
    if args.bits is None:
        setting = dict(quantisation=args.quant or "float16", entropy=args.entropy or "zlib")
        label = ", ".join(setting.values())
    else:
        setting, label = dict(bits=args.bits), f"uniform, {args.bits:g} bits, range"
    data = codec.pack(encoded, **setting)
    path = write_bytes(out, data, force=args.force, source=args.input)
    seconds = wave.shape[-1] / rate
    print(
        f"wrote {path}: {len(data)} bytes for {seconds:.2f} s = "
        f"{bitrate_kbps(len(data), wave.shape[-1], rate):.2f} kbit/s ({label}); "
        f"latent {list(encoded.latent.shape)}; model {codec.model_id} on {codec.device}; "
        f"{time.perf_counter() - start:.1f} s"
    )
    return 0


def decode(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .atomic import check_output
    from .audio_files import output_format, write_audio
    from .errors import ContainerError

    out = check_output(Path(args.output), force=args.force, source=args.input)
    output_format(out)  # a bad output name or rate fails before anything slow
    source = Path(args.input)
    if not source.is_file():
        raise ContainerError(f"input file not found: {source}")
    data = source.read_bytes()
    from .container import unpack

    output_rate = None if args.output_rate == "original" else _rate(args.output_rate)
    header = unpack(data)  # a damaged file fails here, before the slow model load
    output_rate = output_rate or header.sample_rate
    # The weights are the user's (--weights, else the default, as for encode), never the model id the
    # file names: a file must not choose what is fetched or loaded. `Codec.unpack` refuses the
    # container unless its stored fingerprint matches the loaded VAE.
    start = time.perf_counter()
    codec = _load_codec(args)
    wave = codec.decode(codec.unpack(data), output_rate=output_rate)
    path = write_audio(out, wave, output_rate, force=args.force, source=args.input)
    print(
        f"wrote {path}: {wave.shape[-1]} samples at {output_rate} Hz; model {codec.model_id} + "
        f"{codec.vocoder.name} on {codec.device}; {time.perf_counter() - start:.1f} s"
    )
    return 0


def reconstruct(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .atomic import check_output
    from .audio_files import output_format, read_audio, write_audio

    out = check_output(Path(args.output), force=args.force, source=args.input)  # before the slow load
    output_format(out)  # a bad output name or rate fails before the input is read or a model loads
    output_rate = None if args.output_rate == "original" else _rate(args.output_rate)
    wave, rate = read_audio(args.input)
    output_rate = output_rate or rate

    start = time.perf_counter()
    codec = _load_codec(args)
    loaded = time.perf_counter()
    result = codec.reconstruct(wave, rate, output_rate=output_rate)
    done = time.perf_counter()
    path = write_audio(out, result, output_rate, force=args.force, source=args.input)
    seconds = wave.shape[-1] / rate
    print(
        f"wrote {path}: {result.shape[-1]} samples at {output_rate} Hz ({seconds:.2f} s, mono); "
        f"model {codec.model_id} + {codec.vocoder.name} on {codec.device}; "
        f"load {loaded - start:.1f} s, round trip {done - loaded:.2f} s "
        f"({seconds / max(done - loaded, 1e-9):.1f}x real time)"
    )
    return 0


def _bits(text: str) -> float:
    """--bits as a number in `codec.latent_coding.BITS_RANGE`; argparse turns the error into usage."""
    from .errors import ContainerError
    from .latent_coding import check_bits

    try:
        return check_bits(text)
    except ContainerError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _rate(text: str) -> int:
    """--output-rate as Hz, checked as the codec checks it (`check_sample_rate`), before any slow step."""
    from .audio import check_sample_rate
    from .errors import InvalidAudioError

    try:
        return check_sample_rate(int(text))
    except (ValueError, InvalidAudioError) as err:
        why = "" if isinstance(err, ValueError) else f" ({err})"
        raise SystemExit(
            f"error: --output-rate must be 'original' or a rate in Hz; got {text!r}{why}"
        ) from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"reconstruct": reconstruct, "encode": encode, "decode": decode}[args.command](args)
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
