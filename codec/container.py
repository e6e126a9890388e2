"""The `.al2c` container: an encoded clip as bytes, versioned, checksummed, never pickled.

Layout (little-endian). Offsets in bytes:

    0   8   magic           b"\\x89AL2C\\r\\n\\x1a" (PNG-style: catches text-mode and 7-bit damage)
    8   2   version         uint16: 1 for float32 / float16 / int8, 2 for uniform (the lowest that holds it)
    10  2   header_size     uint16, bytes from offset 0 to the end of the model id (92 + id length)
    12  4   sample_rate     uint32, the input's original rate in Hz
    16  8   original_len    uint64, the input's length in samples at that rate
    24  8   num_samples     uint64, its length at 16 kHz (the decoded length)
    32  8   scale           float64, peak gain removed by the front end
    40  8   offset          float64, mean removed by the front end
    48  1   quantisation    uint8: 0 float32, 1 float16, 2 int8 (per channel, symmetric),
                              3 uniform (per channel step, version 2 only)
    49  1   entropy         uint8: 0 none, 1 zlib (level 9), 2 lzma (xz, preset 9),
                              3 range (with uniform, and only with it)
    50  2   channels        uint16, latent channels C (8)
    52  4   rows            uint32, latent rows R (time / 4)
    56  2   bins            uint16, latent bins F (16)
    58  32  model_sha256    SHA-256 of the VAE's config and weights (`model_fingerprint`)
    90  2   model_id_len    uint16, n
    92  n   model_id        UTF-8, the weights' hub id or folder as given
    92+n t  channel table   version 2 only (t = 15 C): per channel `codec.latent_coding.TABLE_ENTRY`:
                              coded uint8, mean float32, step float32, theta float32, limit uint16
    92+n+t 8 payload_len    uint64, p
    100+n+t p payload       the latent `[1, C, R, F]` (C-order):
                              float32 / float16: the values, entropy-coded as a whole;
                              int8: C float32 scales, then the int8 values (x = q * scale[c]),
                              entropy-coded as a whole;
                              uniform: the range coder's uint32 words, every coded channel's
                              R x F symbols in turn under its table's model (`codec.latent_coding`)
    end-32 32 checksum      SHA-256 of every byte before it

The checksum is checked before anything else is read, so a truncated, bit-flipped or otherwise
damaged file is refused with `ContainerError`; so is an unknown version, an impossible size or a
payload that does not decode to exactly the declared latent. The checksum proves integrity, not
good faith (whoever crafts a file writes a matching one), so the channel table is validated (no NaN,
no non-positive step, supports within bounds) and the memory the header implies is
checked against what is available (`ResourceError`) before anything is inflated, and the payload
is inflated in bounded steps into a buffer of the size the header allows, never beyond it.
"""

from __future__ import annotations

import hashlib
import lzma
import math
import struct
import zlib
from dataclasses import dataclass

import numpy as np

from .audio import resampled_length
from .errors import ContainerError
from .frontend import num_frames, padded_length
from .latent_coding import (
    TABLE_ENTRY,
    ChannelModel,
    fit_channels,
    from_symbols,
    pack_table,
    range_decode,
    range_encode,
    to_symbols,
    unpack_table,
)
from .resources import audio_bytes, check_memory

MAGIC = b"\x89AL2C\r\n\x1a"
VERSION = 2
"""The newest version this codec reads (and writes for the uniform quantisation)."""
QUANTISATIONS = ("float32", "float16", "int8", "uniform")
ENTROPY_CODERS = ("none", "zlib", "lzma", "range")
LADDER = ("uniform", "range")
"""The rate ladder's (quantisation, entropy): they go together, and only together."""
_FIXED = struct.Struct("<8sHHIQQddBBHIH32sH")  # up to model_id_len
_PAYLOAD_LEN = struct.Struct("<Q")
CHECKSUM_BYTES = 32
_FLOAT32_MAX = float(np.finfo(np.float32).max)
"""The gain is applied in float32: a scale or offset beyond this is no real clip's."""
MAX_LATENT_VALUES = 2**31
"""Refused above this (about 6 days of audio): a damaged or hostile size, not a real clip."""


@dataclass(frozen=True)
class Container:
    """Everything in a `.al2c` file; `latent` is float32 `[1, C, R, F]` as decoded (dequantised).

    For the uniform quantisation, `bits` sets the steps when the models are fitted (`pack`), and
    `channels` are the models themselves (as read from a file, or to code with them as given).
    """

    latent: np.ndarray
    sample_rate: int
    original_num_samples: int
    num_samples: int
    scale: float
    offset: float
    model_sha256: str
    model_id: str
    quantisation: str = "float16"
    entropy: str = "zlib"
    bits: float | None = None
    channels: tuple[ChannelModel, ...] | None = None


def quantise(latent: np.ndarray, quantisation: str) -> bytes:
    """Raw payload bytes (before entropy coding) of a float32 `[1, C, R, F]` latent."""
    x = np.ascontiguousarray(latent, dtype=np.float32)
    if quantisation == "float32":
        return x.astype("<f4").tobytes()
    if quantisation == "float16":
        if np.abs(x).max(initial=0.0) > np.finfo(np.float16).max:
            raise ContainerError("the latent has values beyond float16's range; use --quant float32")
        return x.astype("<f2").tobytes()
    if quantisation == "int8":
        peak = np.abs(x).max(axis=(0, 2, 3)) if x.size else np.zeros(x.shape[1], np.float32)
        scales = np.where(peak > 0, peak / 127.0, 1.0).astype("<f4")
        q = np.clip(np.rint(x / scales[None, :, None, None]), -127, 127).astype(np.int8)
        return scales.tobytes() + q.tobytes()
    raise ContainerError(f"unknown quantisation {quantisation!r}; use one of {QUANTISATIONS[:3]}")


def dequantise(raw: bytes, quantisation: str, shape: tuple[int, int, int, int]) -> np.ndarray:
    """float32 latent `shape` from raw payload bytes; refuses a size that does not match."""
    count = math.prod(shape)
    sizes = {"float32": 4 * count, "float16": 2 * count, "int8": 4 * shape[1] + count}
    if len(raw) != sizes[quantisation]:
        raise ContainerError(
            f"payload holds {len(raw)} bytes, but a {quantisation} latent of shape "
            f"{list(shape)} needs {sizes[quantisation]}: the file is damaged"
        )
    if quantisation == "int8":
        scales = np.frombuffer(raw, "<f4", shape[1])
        q = np.frombuffer(raw, np.int8, count, offset=4 * shape[1]).reshape(shape)
        return (q.astype(np.float32) * scales[None, :, None, None]).astype(np.float32)
    dtype = "<f4" if quantisation == "float32" else "<f2"
    return np.frombuffer(raw, dtype, count).reshape(shape).astype(np.float32)


def _compress(raw: bytes, entropy: str) -> bytes:
    if entropy == "none":
        return raw
    if entropy == "zlib":
        return zlib.compress(raw, 9)
    if entropy == "lzma":
        return lzma.compress(raw, preset=9)
    raise ContainerError(f"unknown entropy coder {entropy!r}; use one of {ENTROPY_CODERS}")


_INFLATE_CHUNK = 1 << 24
"""Bytes inflated per step: the payload grows into a buffer sized from the header, never beyond it."""


def _decompress(data: bytes, entropy: str, limit: int) -> bytes | bytearray:
    """The payload inflated into a buffer of exactly `limit` bytes (the size the header implies).

    Inflation runs in `_INFLATE_CHUNK` steps, each bounded by what is left of `limit`, so a payload
    that inflates beyond the header's size is refused after `limit + 1` bytes, not after it is
    fully expanded; one that ends short or leaves unconsumed data is refused too.
    """
    if entropy == "none":
        return data  # its size is checked against the header by `dequantise`
    out = bytearray(limit)
    view = memoryview(out)
    filled = 0
    inflater = zlib.decompressobj() if entropy == "zlib" else lzma.LZMADecompressor()
    pending = data
    try:
        while not inflater.eof:
            chunk = inflater.decompress(pending, min(_INFLATE_CHUNK, limit - filled + 1))
            consumed = len(pending) - len(inflater.unconsumed_tail) if entropy == "zlib" else len(pending)
            pending = inflater.unconsumed_tail if entropy == "zlib" else b""
            if filled + len(chunk) > limit:
                raise ContainerError(
                    f"the {entropy} payload inflates beyond the {limit} bytes the header allows: "
                    f"the file is damaged or crafted"
                )
            view[filled : filled + len(chunk)] = chunk
            filled += len(chunk)
            if not chunk and not consumed and (entropy == "zlib" or inflater.needs_input):
                break  # no progress: the stream is truncated
    except (zlib.error, lzma.LZMAError) as err:
        raise ContainerError(
            f"the payload does not decompress ({entropy}: {err}): the file is damaged"
        ) from err
    finally:
        view.release()
    if not inflater.eof or inflater.unused_data or pending or filled != limit:
        raise ContainerError(f"the {entropy} payload does not end where the header says: the file is damaged")
    return out


def _unpack_bytes(shape: tuple[int, int, int, int], raw_bytes: int, samples: int, original: int) -> int:
    """Memory to unpack and decode a container: the inflated payload, the float32 latent (twice:
    dequantised, then copied for the model) and the decoded audio (`codec.resources.audio_bytes`)."""
    return raw_bytes + 8 * math.prod(shape) + audio_bytes(samples) + 8 * original


def _check_setting(quantisation: str, entropy: str) -> None:
    if quantisation not in QUANTISATIONS or entropy not in ENTROPY_CODERS:
        raise ContainerError(
            f"quantisation must be one of {QUANTISATIONS} and entropy one of "
            f"{ENTROPY_CODERS}; got {quantisation!r}, {entropy!r}"
        )
    if (quantisation in LADDER[:1]) != (entropy in LADDER[1:]):
        raise ContainerError(
            f"the uniform quantisation is range-coded, and only it is; got {quantisation!r}, {entropy!r}"
        )


def _ladder_payload(c: Container) -> tuple[bytes, bytes]:
    """(channel table, range-coded payload) of a uniform container."""
    if not np.isfinite(c.latent).all():
        raise ContainerError("the latent holds NaN or Inf values; the uniform quantisation needs finite ones")
    if c.channels is None and c.bits is None:
        raise ContainerError("the uniform quantisation needs bits (bits per coded latent value)")
    channels = c.latent.shape[1]
    models = c.channels if c.channels is not None else fit_channels(c.latent, c.bits)
    table = pack_table(models)
    models = unpack_table(table, channels)  # what a reader gets, validated as a reader does
    return table, range_encode(to_symbols(c.latent, models), models)


def pack(c: Container) -> bytes:
    """The file's bytes. The latent is quantised and entropy-coded here; see the module layout."""
    _check_setting(c.quantisation, c.entropy)
    if c.latent.ndim != 4 or c.latent.shape[0] != 1:
        raise ContainerError(f"a container holds one latent [1, C, R, F]; got shape {list(c.latent.shape)}")
    model_id = c.model_id.encode("utf-8")
    if len(model_id) > 65535:
        raise ContainerError("the model id is longer than 65535 bytes")
    try:
        digest = bytes.fromhex(c.model_sha256)
    except ValueError:
        digest = b""
    if len(digest) != 32:
        raise ContainerError(f"model_sha256 must be 64 hex digits; got {c.model_sha256!r}")
    _, channels, rows, bins = c.latent.shape
    if c.quantisation == LADDER[0]:
        version, (table, payload) = 2, _ladder_payload(c)
    else:
        version, table, payload = 1, b"", _compress(quantise(c.latent, c.quantisation), c.entropy)
    header = _FIXED.pack(
        MAGIC,
        version,
        _FIXED.size + len(model_id),
        c.sample_rate,
        c.original_num_samples,
        c.num_samples,
        c.scale,
        c.offset,
        QUANTISATIONS.index(c.quantisation),
        ENTROPY_CODERS.index(c.entropy),
        channels,
        rows,
        bins,
        digest,
        len(model_id),
    )
    body = header + model_id + table + _PAYLOAD_LEN.pack(len(payload)) + payload
    return body + hashlib.sha256(body).digest()


def unpack(data: bytes) -> Container:
    """Parses and verifies a container; every defect raises `ContainerError` with what is wrong, and
    one too big to unpack and decode in the available memory raises `ResourceError` (checked from the
    header, before the payload is inflated)."""
    minimum = _FIXED.size + _PAYLOAD_LEN.size + CHECKSUM_BYTES
    if not data:
        raise ContainerError("the container file is empty")
    if not data.startswith(MAGIC) and not (len(data) < len(MAGIC) and MAGIC.startswith(data)):
        raise ContainerError(
            "not an .al2c container (the magic bytes are missing); encode audio with `python -m codec encode`"
        )
    if len(data) < minimum:
        raise ContainerError(f"the container is truncated: {len(data)} bytes, at least {minimum} needed")
    body, checksum = data[:-CHECKSUM_BYTES], data[-CHECKSUM_BYTES:]
    if hashlib.sha256(body).digest() != checksum:
        raise ContainerError("checksum mismatch: the container is damaged or truncated")
    (
        _,
        version,
        header_size,
        rate,
        original,
        samples,
        scale,
        offset,
        quant,
        entropy,
        channels,
        rows,
        bins,
        digest,
        id_len,
    ) = _FIXED.unpack_from(body)
    if version not in (1, VERSION):
        raise ContainerError(
            f"container version {version}; this codec reads versions 1 to {VERSION}: upgrade the codec"
        )
    if header_size != _FIXED.size + id_len or len(body) < header_size + _PAYLOAD_LEN.size:
        raise ContainerError("the header's sizes are inconsistent: the file is damaged")
    if quant >= len(QUANTISATIONS) or entropy >= len(ENTROPY_CODERS):
        raise ContainerError(f"unknown quantisation ({quant}) or entropy coder ({entropy}) code")
    quantisation, coder = QUANTISATIONS[quant], ENTROPY_CODERS[entropy]
    try:
        _check_setting(quantisation, coder)
    except ContainerError as err:
        raise ContainerError(f"{err}: the file is damaged") from None
    if version != (2 if quantisation == LADDER[0] else 1):
        raise ContainerError(
            f"a version {version} container cannot hold the {quantisation} quantisation: the file is damaged"
        )
    shape = (1, channels, rows, bins)
    if not 0 < math.prod(shape) <= MAX_LATENT_VALUES or not (
        rate > 0 and 0 < scale <= _FLOAT32_MAX and abs(offset) <= _FLOAT32_MAX  # NaN fails too
    ):
        raise ContainerError(
            f"impossible values in the header (latent {list(shape)}, rate {rate}, "
            f"scale {scale}, offset {offset})"
        )
    if rows != expected_rows(samples) or resampled_length(original, rate, 16000) != samples:
        raise ContainerError(
            f"the header's lengths disagree ({original} samples at {rate} Hz, {samples} at "
            f"16 kHz, {rows} latent rows): the file is damaged"
        )
    try:
        model_id = body[_FIXED.size : header_size].decode("utf-8")
    except UnicodeDecodeError as err:
        raise ContainerError("the model id is not UTF-8: the file is damaged") from err
    table_end = header_size + (TABLE_ENTRY.size * channels if version == 2 else 0)
    if len(body) < table_end + _PAYLOAD_LEN.size:
        raise ContainerError(f"the container ends inside its channel table ({channels} channels)")
    models = unpack_table(body[header_size:table_end], channels) if version == 2 else None
    (payload_len,) = _PAYLOAD_LEN.unpack_from(body, table_end)
    start = table_end + _PAYLOAD_LEN.size
    if start + payload_len != len(body):
        raise ContainerError(f"the payload is {len(body) - start} bytes, the header says {payload_len}")
    count = math.prod(shape)
    expected = {"float32": 4, "float16": 2, "int8": 1, "uniform": 4}[quantisation] * count + (
        4 * channels if quantisation == "int8" else 2 * payload_len if quantisation == "uniform" else 0
    )  # uniform: int32 symbols, and the payload coded again to check it
    check_memory(  # before anything is inflated: the header alone says how big this gets
        _unpack_bytes(shape, expected, samples, original),
        f"decoding this container (latent {list(shape)}, {samples / 16000 / 3600:.1f} h of audio)",
    )
    if models is not None:
        latent = from_symbols(range_decode(body[start:], models, rows * bins), models, shape)
    else:
        latent = dequantise(_decompress(body[start:], coder, expected), quantisation, shape)
    if not np.isfinite(latent).all():
        raise ContainerError("the latent holds NaN or Inf values")
    return Container(
        latent=latent,
        sample_rate=rate,
        original_num_samples=original,
        num_samples=samples,
        scale=scale,
        offset=offset,
        model_sha256=digest.hex(),
        model_id=model_id,
        quantisation=quantisation,
        entropy=coder,
        channels=models,
    )


def payload_bytes(data: bytes) -> int:
    """The coded latent's bytes in a valid container's `data` (one `unpack` accepts): the entropy-coded
    payload and what the decoder needs beside it to read it (version 2's channel table: each channel's
    mean, step and model; int8's scales are inside the payload), the way an MP3 frame's side information
    is payload. Overhead, as Ogg's pages and OpusHead are for Opus: the fixed header (lengths, gain,
    model id and fingerprint), the payload's length field and the checksum."""
    version, header_size, _, channels = struct.unpack_from("<HH36xBxH", data, 8)
    table = TABLE_ENTRY.size * channels if version == 2 else 0
    (payload_len,) = _PAYLOAD_LEN.unpack_from(data, header_size + table)
    return payload_len + table


def expected_rows(num_samples: int, factor: int = 4) -> int:
    """Latent rows the codec produces for `num_samples` at 16 kHz (after its padding)."""
    return num_frames(padded_length(num_samples, factor)) // factor


def bitrate_kbps(num_bytes: int, num_samples: int, sample_rate: int = 16000) -> float:
    """kbit/s of `num_bytes` for audio of `num_samples` at `sample_rate` (whole file, header included)."""
    return 8 * num_bytes / (num_samples / sample_rate) / 1000
