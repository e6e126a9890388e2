"""The `.al2c` container: bit-exact round trips at every setting, and no damaged file decodes.

Version 1 (float32 / float16 / int8) and version 2 (the rate ladder: uniform steps, range-coded)."""

from __future__ import annotations

import hashlib
import itertools
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codec.audio import resampled_length
from codec.container import (
    CHECKSUM_BYTES,
    LADDER,
    MAGIC,
    Container,
    bitrate_kbps,
    dequantise,
    expected_rows,
    pack,
    payload_bytes,
    quantise,
    unpack,
)
from codec.errors import ContainerError, ResourceError
from codec.latent_coding import TABLE_ENTRY, fit_channels, from_symbols, to_symbols

V1_QUANTISATIONS = ("float32", "float16", "int8")
SETTINGS = [*itertools.product(V1_QUANTISATIONS, ("none", "zlib", "lzma")), LADDER]
DATA = Path(__file__).parent / "data"


def container(quantisation="float16", entropy="zlib", rows=25, seed=0, bits=None) -> Container:
    """A container of `rows` latent rows, with lengths consistent with them (44.1 kHz input)."""
    latent = np.random.default_rng(seed).normal(0, 3, (1, 8, rows, 16)).astype(np.float32)
    num_samples = (4 * rows - 1) * 160
    original = round(num_samples * 44100 / 16000)
    assert expected_rows(num_samples) == rows and resampled_length(original, 44100, 16000) == num_samples
    return Container(
        latent=latent,
        sample_rate=44100,
        original_num_samples=original,
        num_samples=num_samples,
        scale=1.2345678901234567,
        offset=-0.001,
        model_sha256="ab" * 32,
        model_id="cvssp/audioldm2-music",
        quantisation=quantisation,
        entropy=entropy,
        bits=bits if bits is not None or quantisation != "uniform" else 4,
    )


def quantised(c: Container) -> np.ndarray:
    """The latent a reader gets back from `c` (float32 `[1, C, R, F]`)."""
    if c.quantisation == "uniform":
        models = fit_channels(c.latent, c.bits)
        return from_symbols(to_symbols(c.latent, models), models, c.latent.shape)
    return dequantise(quantise(c.latent, c.quantisation), c.quantisation, c.latent.shape)


@pytest.mark.parametrize("quantisation, entropy", SETTINGS)
def test_round_trip_is_bit_exact_at_every_setting(quantisation, entropy):
    original = container(quantisation, entropy)
    data = pack(original)
    decoded = unpack(data)
    expected = quantised(original)
    assert decoded.latent.dtype == np.float32 and decoded.latent.tobytes() == expected.tobytes()
    for field in (
        "sample_rate",
        "original_num_samples",
        "num_samples",
        "scale",
        "offset",
        "model_sha256",
        "model_id",
        "quantisation",
        "entropy",
    ):
        assert getattr(decoded, field) == getattr(original, field), field
    assert pack(decoded) == data  # decoding and re-encoding changes no byte


def test_float32_is_lossless_and_the_lossy_settings_stay_within_their_step():
    latent = container().latent
    assert unpack(pack(container("float32", "none"))).latent.tobytes() == latent.tobytes()
    f16 = unpack(pack(container("float16"))).latent
    assert np.abs(f16 - latent).max() <= np.abs(latent).max() * 2**-11
    i8 = unpack(pack(container("int8"))).latent
    step = np.abs(latent).max(axis=(0, 2, 3)) / 127
    assert (np.abs(i8 - latent).max(axis=(0, 2, 3)) <= step / 2 + 1e-6).all()


@pytest.mark.parametrize("name", ["v1_float16_zlib", "v1_int8_lzma"])
def test_version_1_files_written_before_version_2_still_decode_and_are_still_written(name):
    """tests/data/v1_*.al2c: written by the version-1 codec (commit b503da9) from `container(rows=6)`."""
    data = (DATA / f"{name}.al2c").read_bytes()
    assert struct.unpack_from("<H", data, 8) == (1,)
    decoded = unpack(data)
    _, quantisation, entropy = name.split("_")
    original = container(quantisation, entropy, rows=6)
    assert (decoded.quantisation, decoded.entropy, decoded.channels) == (quantisation, entropy, None)
    assert decoded.latent.tobytes() == quantised(original).tobytes()
    assert pack(original) == data  # these settings are still written as version 1, byte for byte


def test_sizes_and_bitrate_follow_the_bytes():
    sizes = {q: len(pack(container(q, "none"))) for q in V1_QUANTISATIONS}
    payload = 8 * 25 * 16
    overhead = sizes["float32"] - 4 * payload
    assert sizes["float16"] == overhead + 2 * payload and sizes["int8"] == overhead + payload + 4 * 8
    assert payload_bytes(pack(container("float16", "none"))) == 2 * payload
    # int8's scales are what the decoder needs beside the values: payload, like MP3's side information
    assert payload_bytes(pack(container("int8", "none"))) == payload + 4 * 8
    lzma_file = pack(container("int8", "lzma"))
    assert payload_bytes(lzma_file) == len(lzma_file) - overhead
    assert bitrate_kbps(sizes["float16"], 16000) == pytest.approx(8 * sizes["float16"] / 1000)
    assert bitrate_kbps(1000, 44100, 44100) == pytest.approx(8.0)


def test_the_layout_is_the_documented_one():
    data = pack(container("int8", "none"))
    assert data[:8] == MAGIC == b"\x89AL2C\r\n\x1a"
    version, header_size, rate = struct.unpack_from("<HHI", data, 8)
    assert (version, rate) == (1, 44100) and header_size == 92 + len("cvssp/audioldm2-music")
    assert struct.unpack_from("<QQdd", data, 16) == (43659, 15840, 1.2345678901234567, -0.001)
    assert struct.unpack_from("<BBHIH", data, 48) == (2, 0, 8, 25, 16)
    assert data[58:90] == bytes.fromhex("ab" * 32)
    assert data[-CHECKSUM_BYTES:] == hashlib.sha256(data[:-CHECKSUM_BYTES]).digest()


def _with_checksum(body: bytes) -> bytes:
    return body + hashlib.sha256(body).digest()


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "not an .al2c container"),
        (MAGIC[:5], "truncated"),
        (MAGIC + b"\x00" * 40, "truncated"),
    ],
)
def test_not_a_container_or_too_short_is_refused(data, message):
    with pytest.raises(ContainerError, match=message):
        unpack(data)


def test_another_version_is_refused_by_name():
    body = bytearray(pack(container())[:-CHECKSUM_BYTES])
    body[8:10] = struct.pack("<H", 3)
    with pytest.raises(ContainerError, match="version 3; this codec reads versions 1 to 2"):
        unpack(_with_checksum(bytes(body)))


@pytest.mark.parametrize(
    "setting, at, value, message",
    [
        (("float16", "zlib"), 8, struct.pack("<H", 2), "version 2 container cannot hold the float16"),
        (LADDER, 8, struct.pack("<H", 1), "version 1 container cannot hold the uniform"),
        (LADDER, 49, b"\x02", "range-coded, and only it is"),  # uniform, lzma
        (("int8", "lzma"), 49, b"\x03", "range-coded, and only it is"),  # int8, range
        (LADDER, 48, b"\x04", "unknown quantisation"),
    ],
)
def test_a_version_or_a_setting_the_other_fields_contradict_is_refused(setting, at, value, message):
    body = bytearray(pack(container(*setting))[:-CHECKSUM_BYTES])
    body[at : at + len(value)] = value
    with pytest.raises(ContainerError, match=message):
        unpack(_with_checksum(bytes(body)))


def test_a_consistent_but_impossible_header_is_refused_even_with_a_valid_checksum():
    body = bytearray(pack(container())[:-CHECKSUM_BYTES])
    body[52:56] = struct.pack("<I", 2**31)  # rows: a latent of 2^38 values
    with pytest.raises(ContainerError, match="impossible values"):
        unpack(_with_checksum(bytes(body)))
    body = bytearray(pack(container("float32", "none"))[:-CHECKSUM_BYTES])
    body[52:56] = struct.pack("<I", 24)  # one row fewer than the lengths need
    with pytest.raises(ContainerError, match="lengths disagree"):
        unpack(_with_checksum(bytes(body)))
    body = bytearray(pack(container("float32", "none"))[:-CHECKSUM_BYTES])
    body[48] = 1  # says float16, holds float32
    with pytest.raises(ContainerError, match="payload holds"):
        unpack(_with_checksum(bytes(body)))


CORRUPTIONS = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(0, 7)),
    st.tuples(st.just("truncate"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("overwrite"), st.integers(0, 10**6), st.integers(0, 255)),
    st.tuples(st.just("append"), st.integers(1, 64), st.integers(0, 255)),
)


@given(setting=st.sampled_from(SETTINGS), corruption=CORRUPTIONS)
def test_every_corruption_is_refused_with_a_clear_error(setting, corruption):
    data = bytearray(pack(container(*setting, rows=6)))
    kind, where, value = corruption
    where %= len(data)
    if kind == "flip":
        data[where] ^= 1 << value
    elif kind == "truncate":
        del data[where:]
    elif kind == "overwrite":
        if data[where] == value:
            value ^= 0xFF
        data[where] = value
    else:
        data += bytes([value]) * where
    with pytest.raises(ContainerError):
        unpack(bytes(data))


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(quantisation="int4"), "quantisation must be one of"),
        (dict(entropy="brotli"), "entropy one of"),
        (dict(quantisation="uniform"), "range-coded, and only it is"),
        (dict(entropy="range"), "range-coded, and only it is"),
        (dict(quantisation="uniform", entropy="range", bits=None), "needs bits"),
        (dict(quantisation="uniform", entropy="range", bits=0.5), "bits must be a number from 1 to 12"),
        (
            dict(quantisation="uniform", entropy="range", bits=4, latent=np.full((1, 8, 25, 16), np.nan)),
            "NaN",
        ),
        (dict(latent=np.zeros((2, 8, 4, 16), np.float32)), "one latent"),
        (dict(model_sha256="abc"), "64 hex digits"),
    ],
)
def test_pack_refuses_bad_settings(bad, message):
    fields = {**container().__dict__, **bad}
    with pytest.raises(ContainerError, match=message):
        pack(Container(**fields))


def test_float16_refuses_values_it_cannot_hold():
    c = container("float16")
    latent = c.latent.copy()
    latent[0, 0, 0, 0] = 1e6
    with pytest.raises(ContainerError, match="float16's range"):
        pack(Container(**{**c.__dict__, "latent": latent}))


def _crafted(rows: int, payload: bytes, quantisation: int = 1, entropy: int = 1, table: bytes = b"") -> bytes:
    """A container whose header is consistent with `rows` latent rows (16 kHz input), holding the
    channel `table` (version 2, for quantisation 3) and `payload` as given, with a valid checksum:
    what someone crafting a hostile file writes."""
    from codec.container import _FIXED, _PAYLOAD_LEN

    samples = (4 * rows - 1) * 160
    model_id = b"cvssp/audioldm2-music"
    header = _FIXED.pack(
        MAGIC, 2 if quantisation == 3 else 1, _FIXED.size + len(model_id), 16000, samples, samples, 1.0, 0.0,
        quantisation, entropy, 8, rows, 16, b"\xab" * 32, len(model_id),
    )  # fmt: skip
    return _with_checksum(header + model_id + table + _PAYLOAD_LEN.pack(len(payload)) + payload)


def _zlib_zeros(count: int) -> bytes:
    """zlib of `count` zero bytes, compressed in steps (never `count` bytes at once)."""
    import zlib

    deflater, block = zlib.compressobj(9), bytes(1 << 24)
    parts = [
        deflater.compress(block[: min(len(block), count - done)]) for done in range(0, count, len(block))
    ]
    return b"".join(parts) + deflater.flush()


_PEAK_SCRIPT = """
import resource, sys
def high_water_kib():  # this process's own peak: ru_maxrss would carry the parent's across fork + exec
    line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    return int(line.split()[1])
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]), int(sys.argv[2])))  # a broken fix: MemoryError
import codec.resources
from codec.container import unpack
codec.resources.available_bytes = lambda: 8 * 2**30  # the same verdict on every machine
data = open(sys.argv[1], "rb").read()
before = high_water_kib()
try:
    unpack(data)
    outcome = "accepted"
except Exception as err:
    outcome = f"{type(err).__name__}: {err}"
peak = high_water_kib()
print(f"{before} {peak} {outcome}")
"""


def test_a_crafted_container_is_refused_from_its_header_before_anything_is_inflated(tmp_path):
    """Issue 27 item 2: rows for 2^28 values and a zlib payload of zeros (512 MiB as float16), with a
    matching checksum, is refused by the memory guard from the header alone, in a subprocess whose
    peak memory stays low (its address space is capped, so a regression fails instead of swapping)."""
    import subprocess
    import sys

    rows = 2**28 // (8 * 16)
    path = tmp_path / "crafted.al2c"
    path.write_bytes(_crafted(rows, _zlib_zeros(2 * 2**28)))
    assert path.stat().st_size < 2 * 2**20
    cap = 3 * 2**30  # torch's import reserves address space; inflating 2^28 values needs far more
    run = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, str(path), str(cap)], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-2000:]
    before, peak, outcome = run.stdout.split(" ", 2)
    assert outcome.startswith("ResourceError: decoding this container (latent [1, 8, 2097152, 16]"), outcome
    assert "GiB of memory" in outcome
    assert int(peak) < 500 * 1024 and int(peak) - int(before) < 50 * 1024, (before, peak)  # KiB


@pytest.mark.parametrize("entropy", [1, 2])
def test_a_payload_is_inflated_only_as_far_as_the_header_allows(entropy):
    """More bytes than the header's latent needs are refused once one byte too many is out; a
    stream that ends short, or leaves data after its end, is refused too."""
    import lzma
    import zlib

    compress = zlib.compress if entropy == 1 else lzma.compress
    needed = 2 * 8 * 25 * 16  # float16, 25 rows
    assert unpack(_crafted(25, compress(bytes(needed)), entropy=entropy)).latent.shape == (1, 8, 25, 16)
    with pytest.raises(ContainerError, match="inflates beyond the 6400 bytes the header allows"):
        unpack(_crafted(25, compress(bytes(needed + 1)), entropy=entropy))
    with pytest.raises(ContainerError, match="inflates beyond"):
        unpack(_crafted(25, compress(bytes(2**26)), entropy=entropy))
    with pytest.raises(ContainerError, match="does not end where the header says"):
        unpack(_crafted(25, compress(bytes(needed - 1)), entropy=entropy))
    with pytest.raises(ContainerError, match="does not end where the header says"):
        unpack(_crafted(25, compress(bytes(needed)) + b"\0", entropy=entropy))
    with pytest.raises(ContainerError, match="does not end where the header says|does not decompress"):
        unpack(_crafted(25, compress(bytes(needed))[:-4], entropy=entropy))


def test_the_version_2_layout_is_the_documented_one():
    c = container(*LADDER, bits=3)
    data = pack(c)
    n = len("cvssp/audioldm2-music")
    assert struct.unpack_from("<HH", data, 8) == (2, 92 + n)
    assert struct.unpack_from("<BBHIH", data, 48) == (3, 3, 8, 25, 16)
    models = fit_channels(c.latent, 3)
    table = data[92 + n : 92 + n + 15 * 8]
    assert TABLE_ENTRY.size == 15 and [TABLE_ENTRY.unpack_from(table, 15 * i) for i in range(8)] == [
        (m.coded, m.mean, m.step, m.theta, m.limit) for m in models
    ]
    (p,) = struct.unpack_from("<Q", data, 92 + n + 120)
    assert len(data) == 100 + n + 120 + p + CHECKSUM_BYTES and p % 4 == 0
    assert payload_bytes(data) == 120 + p  # the channel table is side information the decoder needs
    assert unpack(data).channels == models


def _ladder_body(rows: int = 25, bits: float = 4) -> tuple[bytearray, int]:
    """A version-2 container's bytes without its checksum, and where its channel table starts."""
    return bytearray(pack(container(*LADDER, rows=rows, bits=bits))[:-CHECKSUM_BYTES]), 92 + 21


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("mean", float("nan"), "impossible model for latent channel 1"),
        ("step", -0.5, "impossible model"),
        ("step", float("nan"), "impossible model"),
        ("theta", float("nan"), "impossible model"),
        ("theta", 1.5, "impossible model"),
        ("limit", 65535, "impossible model"),  # beyond the largest support
        ("coded", 7, "impossible model"),
        ("limit", 1, "does not decode|does not end where"),  # a smaller support than the symbols had
        ("theta", 0.01, "does not decode|does not end where"),  # another model than the coder's
    ],
)
def test_a_channel_table_no_writer_makes_is_refused_even_with_a_valid_checksum(field, value, message):
    body, table = _ladder_body()
    names = ("coded", "mean", "step", "theta", "limit")
    entry = list(TABLE_ENTRY.unpack_from(body, table + TABLE_ENTRY.size))
    entry[names.index(field)] = value
    TABLE_ENTRY.pack_into(body, table + TABLE_ENTRY.size, *entry)
    with pytest.raises(ContainerError, match=message):
        unpack(_with_checksum(bytes(body)))


def test_a_version_2_file_cut_or_padded_anywhere_is_refused_even_with_a_valid_checksum():
    body, table = _ladder_body(rows=6)
    for end in range(len(MAGIC), len(body)):
        with pytest.raises(ContainerError):
            unpack(_with_checksum(bytes(body[:end])))
    start = table + 15 * 8 + 8
    for extra in (b"\0" * 4, b"\xff" * 4, b"\0"):
        grown = body + extra
        grown[start - 8 : start] = struct.pack("<Q", len(grown) - start)  # the payload length agrees
        with pytest.raises(ContainerError, match="does not end where|whole 32-bit words"):
            unpack(_with_checksum(bytes(grown)))
    body[table + 15 * 8 : start] = struct.pack("<Q", 2**63)  # an absurd payload length
    with pytest.raises(ContainerError, match="the header says 9223372036854775808"):
        unpack(_with_checksum(bytes(body)))


@settings(max_examples=150, deadline=None)
@given(where=st.integers(0, 10**6), value=st.integers(0, 255))
def test_any_byte_of_a_version_2_table_or_payload_rewritten_with_a_valid_checksum_is_refused_or_decodes(
    where, value
):
    """The checksum proves nothing against a crafted file: whatever a table or payload byte is set to,
    unpacking raises `ContainerError` or gives a finite latent of the declared shape, never another
    exception (constriction's own errors included)."""
    body, table = _ladder_body(rows=6)
    where = table + where % (len(body) - table)
    body[where] = value
    try:
        decoded = unpack(_with_checksum(bytes(body)))
    except ContainerError:
        return
    assert decoded.latent.shape == (1, 8, 6, 16) and np.isfinite(decoded.latent).all()


def test_a_version_2_header_claiming_a_huge_latent_is_refused_before_anything_is_decoded(monkeypatch):
    """Rows for 2^28 values, a valid table and a few payload words, with a matching checksum: the
    memory check refuses it from the header, and the range decoder is never called."""
    import codec.container
    import codec.resources

    monkeypatch.setattr(codec.resources, "available_bytes", lambda: 8 * 2**30)
    monkeypatch.setattr(codec.container, "range_decode", lambda *a: pytest.fail("decoded before the check"))
    table = bytes(_ladder_body()[0][113 : 113 + 120])
    data = _crafted(2**28 // (8 * 16), b"\0" * 64, quantisation=3, entropy=3, table=table)
    with pytest.raises(ResourceError, match=r"decoding this container \(latent \[1, 8, 2097152, 16\]"):
        unpack(data)


def test_a_ladder_container_re_encodes_to_the_same_bytes_with_the_models_it_carries():
    data = pack(container(*LADDER, bits=6))
    decoded = unpack(data)
    assert decoded.bits is None and decoded.channels is not None
    assert pack(decoded) == data  # the stored models, not refitted ones
    assert pack(container(*LADDER, bits=6.5)) != data
