"""Standard codecs as methods (issue 28): `opus`, `mp3` (libsndfile), `codec2` (c2enc/c2dec), `aac` (ffmpeg).

Each clip goes through a real file and comes back as a `Coded`: the decoded 16 kHz wave as the
decoder gives it (its delay and padding kept: every method here has `delay=None`, so the runner
measures the delay once per run), the file's bytes, and the payload bytes (`evals.methods.codec_bytes`).

Rates. libsndfile takes a rate only as a "compression level" c in [0, 1]; its mapping (libsndfile
1.2.2) is, for Ogg Opus (`src/ogg_opus.c`, SFC_SET_COMPRESSION_LEVEL), a target of
`(int) ((1 - c) * 250000 + 6000)` bit/s per channel (libopus's defaults otherwise: constrained VBR,
OPUS_APPLICATION_AUDIO, complexity 10, 20 ms packets), and for MP3 (`src/mpeg_l3_encode.c`,
`mpeg_l3_encoder_set_quality`) at 16-22 kHz (MPEG-2 Layer III) `(int) (160 - c * (160 - 8))` kbit/s
passed to `lame_set_brate`, but only in `bitrate_mode="CONSTANT"`: the default VARIABLE mode reads c
as LAME's VBR quality (c * 10). The inverses below aim half a unit above the target so that the
C truncation lands on it exactly.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from codec.errors import CodecError
from evals.methods.base import Coded, Method, Reconstruct
from evals.methods.codec_bytes import L3_KBPS, adts_layout, codec2_layout, mp3_layout, ogg_opus_layout

RATE = 16000
OPUS_KBPS_RANGE = (6.0, 256.0)
"""What libsndfile's Opus level can ask for (per channel; our waves are mono)."""
MP3_KBPS = tuple(k for k in L3_KBPS["2"] if k)
"""MPEG-2 Layer III bitrates (16 kHz input): the only rates LAME writes in constant-bitrate mode."""
AAC_KBPS_RANGE = (8.0, 96.0)
"""ffmpeg's native AAC encoder at 16 kHz mono: up to 6144 bits per 1024-sample frame (96 kbit/s)."""
CODEC2_MODES = {  # name -> (c2file.h mode id, bit/s, samples per frame at 8 kHz, bytes per frame)
    "3200": (0, 3200, 160, 8),
    "2400": (1, 2400, 160, 6),
    "1600": (2, 1600, 320, 8),
    "1400": (3, 1400, 320, 7),
    "1300": (4, 1300, 320, 7),
    "1200": (5, 1200, 320, 6),
    "700C": (8, 700, 320, 4),
}
"""The modes c2enc and c2dec share (450 and 450PWB need codec2's LPCNet build: left out). A frame's
bits are rounded up to whole bytes, so 1300 costs 1400 bit/s and 700C 800 bit/s in the file."""

BASELINE_LADDER = (
    "opus:kbps=6",
    "opus:kbps=8",
    "opus:kbps=12",
    "opus:kbps=16",
    "opus:kbps=24",
    "opus:kbps=32",
    "mp3:kbps=24",
    "mp3:kbps=32",
    "mp3:kbps=40",
    "mp3:kbps=48",
    "mp3:kbps=64",
    *(f"codec2:mode={mode}" for mode in CODEC2_MODES),
    "aac:kbps=16",
    "aac:kbps=24",
    "aac:kbps=32",
)
"""Every baseline spec of the rate ladder: `python -m evals run --methods ...` takes them as they are."""


def opus_compression_level(kbps: float) -> float:
    """libsndfile's compression level that makes its Opus encoder target `kbps` (see the module).

    Raises:
        CodecError: `kbps` outside `OPUS_KBPS_RANGE`.
    """
    if not OPUS_KBPS_RANGE[0] <= kbps <= OPUS_KBPS_RANGE[1]:
        raise CodecError(f"opus kbps must be in {OPUS_KBPS_RANGE} (libsndfile's range); got {kbps:g}")
    return min(1.0, max(0.0, 1.0 - (round(kbps * 1000) + 0.5 - 6000.0) / 250000.0))


def mp3_compression_level(kbps: float) -> float:
    """libsndfile's compression level for a constant `kbps` MPEG-2 Layer III stream (see the module).

    Raises:
        CodecError: `kbps` is not an MPEG-2 Layer III bitrate.
    """
    if kbps not in MP3_KBPS:
        raise CodecError(f"mp3 kbps at 16 kHz (MPEG-2 Layer III) must be one of {MP3_KBPS}; got {kbps:g}")
    return min(1.0, max(0.0, (160.0 - kbps - 0.5) / (160.0 - 8.0)))


def _need_libsndfile(format: str, subtype: str) -> None:
    import soundfile as sf

    if subtype not in sf.available_subtypes(format):
        raise CodecError(
            f"this libsndfile ({sf.__libsndfile_version__}) cannot write {format}/{subtype}; "
            "Opus needs libsndfile >= 1.0.29, MP3 >= 1.1.0 (soundfile's wheels carry 1.2.2)"
        )


def _through_soundfile(wave: np.ndarray, **write_args) -> tuple[np.ndarray, bytes]:
    """`wave` written to an in-memory file with `write_args`, and read back: (decoded `[M]`, bytes)."""
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, np.asarray(wave, np.float32), RATE, **write_args)
    data = buffer.getvalue()
    decoded, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    if rate != RATE:
        raise CodecError(f"{write_args['format']} decoded at {rate} Hz, written at {RATE}")
    return decoded.mean(axis=1), data


def opus_builder(root: Path | None, device: str, kbps: float = 12.0) -> Reconstruct:
    """Ogg Opus through libsndfile at a `kbps` target (constrained VBR)."""
    level = opus_compression_level(float(kbps))
    _need_libsndfile("OGG", "OPUS")

    def reconstruct(wave: np.ndarray) -> Coded:
        out, data = _through_soundfile(wave, format="OGG", subtype="OPUS", compression_level=level)
        return Coded(out, len(data), ogg_opus_layout(data).payload, float(kbps))

    return reconstruct


def mp3_builder(root: Path | None, device: str, kbps: float = 32.0) -> Reconstruct:
    """MP3 (LAME, MPEG-2 Layer III at 16 kHz) through libsndfile at a constant `kbps`."""
    level = mp3_compression_level(float(kbps))
    _need_libsndfile("MP3", "MPEG_LAYER_III")

    def reconstruct(wave: np.ndarray) -> Coded:
        out, data = _through_soundfile(
            wave, format="MP3", subtype="MPEG_LAYER_III", compression_level=level, bitrate_mode="CONSTANT"
        )
        return Coded(out, len(data), mp3_layout(data).payload, float(kbps))

    return reconstruct


def _tool(name: str, package: str) -> str:
    """The path of command `name`, or a CodecError naming the Debian package that has it."""
    path = shutil.which(name)
    if path is None:
        raise CodecError(
            f"{name} not found on PATH: install Debian's {package} package (apt-get install {package})"
        )
    return path


def _call(args: list[str], seconds: float) -> None:
    """Runs a codec's command line, allowed 30 s plus twice the clip's length; CodecError on failure."""
    timeout = 30.0 + 2.0 * seconds
    try:
        subprocess.run(args, check=True, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as err:
        raise CodecError(f"{Path(args[0]).name} took over {timeout:.0f} s") from err
    except subprocess.CalledProcessError as err:
        said = err.stderr.decode(errors="replace").strip()[-300:]
        raise CodecError(f"{Path(args[0]).name} failed (exit {err.returncode}): {said}") from err


def codec2_mode(mode: float | str) -> str:
    """The mode's name as c2enc spells it: 3200.0 -> "3200", "700c" -> "700C".

    Raises:
        CodecError: not one of `CODEC2_MODES`.
    """
    name = f"{mode:g}" if isinstance(mode, (int, float)) else str(mode).upper()
    if name not in CODEC2_MODES:
        raise CodecError(f"codec2 mode must be one of {list(CODEC2_MODES)}; got {mode!r}")
    return name


def codec2_builder(root: Path | None, device: str, mode: float | str = "3200") -> Reconstruct:
    """codec2 through c2enc/c2dec: 16 kHz -> 8 kHz (soxr) -> .c2 file -> 8 kHz -> 16 kHz (soxr).

    The input is padded with zeros to whole codec frames (c2enc drops a partial one); the output
    has nothing above 4 kHz, which is the codec's band.
    """
    import soxr

    name = codec2_mode(mode)
    mode_id, bps, frame, frame_bytes = CODEC2_MODES[name]
    encoder, decoder = _tool("c2enc", "codec2"), _tool("c2dec", "codec2")

    def reconstruct(wave: np.ndarray) -> Coded:
        narrow = soxr.resample(np.asarray(wave, np.float32), RATE, 8000)
        narrow = np.pad(narrow, (0, -len(narrow) % frame))
        pcm = np.round(np.clip(narrow, -1.0, 1.0) * 32767).astype("<i2")
        with tempfile.TemporaryDirectory(prefix="codec2-") as tmp:
            raw, coded, out = Path(tmp, "in.raw"), Path(tmp, "coded.c2"), Path(tmp, "out.raw")
            pcm.tofile(raw)
            _call([encoder, name, str(raw), str(coded)], len(wave) / RATE)  # ".c2": with its header
            _call([decoder, name, str(coded), str(out)], len(wave) / RATE)
            data = coded.read_bytes()
            decoded = np.fromfile(out, "<i2").astype(np.float32) / 32768.0
        payload = codec2_layout(data, mode_id, frame_bytes).payload
        return Coded(soxr.resample(decoded, 8000, RATE), len(data), payload, bps / 1000)

    return reconstruct


def aac_builder(root: Path | None, device: str, kbps: float = 24.0) -> Reconstruct:
    """AAC-LC through ffmpeg's native `aac` encoder into an ADTS file, decoded by ffmpeg at 16 kHz.

    ADTS has no edit list, so the decoder keeps the encoder's 1024-sample priming: the delay the
    runner measures.
    """
    if not AAC_KBPS_RANGE[0] <= float(kbps) <= AAC_KBPS_RANGE[1]:
        raise CodecError(f"aac kbps at 16 kHz mono must be in {AAC_KBPS_RANGE}; got {kbps:g}")
    ffmpeg = _tool("ffmpeg", "ffmpeg")
    quiet = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    raw_format = ["-f", "f32le", "-ar", str(RATE), "-ac", "1"]

    def reconstruct(wave: np.ndarray) -> Coded:
        with tempfile.TemporaryDirectory(prefix="aac-") as tmp:
            raw, coded, out = Path(tmp, "in.f32"), Path(tmp, "coded.aac"), Path(tmp, "out.f32")
            np.asarray(wave, "<f4").tofile(raw)
            seconds = len(wave) / RATE
            bitrate = str(round(float(kbps) * 1000))
            _call(
                [
                    *quiet,
                    *raw_format,
                    "-i",
                    str(raw),
                    "-c:a",
                    "aac",
                    "-b:a",
                    bitrate,
                    "-f",
                    "adts",
                    str(coded),
                ],
                seconds,
            )
            _call([*quiet, "-i", str(coded), *raw_format, "-c:a", "pcm_f32le", str(out)], seconds)
            data = coded.read_bytes()
            decoded = np.fromfile(out, "<f4")
        return Coded(decoded, len(data), adts_layout(data).payload, float(kbps))

    return reconstruct


def baseline_methods() -> list[Method]:
    """The four codecs at their default rates; every delay is measured per run (`delay=None`)."""
    table = [
        ("opus", "Ogg Opus (libopus via libsndfile), constrained VBR, at kbps", opus_builder, {"kbps": 12.0}),
        ("mp3", "MP3 (LAME via libsndfile), MPEG-2 Layer III CBR, at kbps", mp3_builder, {"kbps": 32.0}),
        ("codec2", "codec2 (c2enc/c2dec) at 8 kHz, mode 3200..700C", codec2_builder, {"mode": "3200"}),
        ("aac", "AAC-LC (ffmpeg's native aac encoder) in ADTS, at kbps", aac_builder, {"kbps": 24.0}),
    ]
    return [Method(name, text, (), build, params, delay=None) for name, text, build, params in table]
