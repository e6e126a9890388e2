"""How many of a coded file's bytes are coded audio: the baseline codecs' containers taken apart.

Each parser reads our own encoders' output (libsndfile's Ogg Opus and MP3, codec2's `.c2`, ffmpeg's
ADTS) and returns a `Layout`: the file's bytes split into payload (the coded audio) and overhead
(framing, headers, tags), which add up to the file's size. Anything it does not expect (a lost
sync, a truncated frame, an unknown tag, a second Ogg stream) raises `CodecBytesError` naming the
offset, never a guess.

What counts as overhead, per format:
- Ogg Opus: every page's 27-byte header and segment table; the OpusHead and OpusTags packets
  (libsndfile pads OpusTags with 512 bytes). Payload: the audio packets (each with its TOC byte).
- MP3: ID3v2/ID3v1 tags; the first frame when it holds a Xing/Info/VBRI tag (LAME's Info frame:
  a whole silent-free frame of metadata); each audio frame's 4-byte header and 2-byte CRC when
  present (framing, the twin of an Ogg page header or an ADTS header). Payload: each audio frame's
  side info and main data (the side info carries the frame's gains and table choices: coded audio).
- codec2: the 7-byte `.c2` header (magic C0 DE C2, version, mode, flags). Payload: the frames.
- AAC ADTS: each frame's 7-byte header (9 with its CRC), and an ID3v2 tag if any. Payload: the
  raw data blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from codec.errors import CodecError


class CodecBytesError(CodecError, ValueError):
    """A coded file is not laid out as its encoder writes it."""


@dataclass(frozen=True)
class Layout:
    """A coded file's bytes: payload + overhead == size; frames: Ogg pages, MP3/ADTS/codec2 frames."""

    size: int
    payload: int
    frames: int

    @property
    def overhead(self) -> int:
        return self.size - self.payload


def _id3v2_size(data: bytes) -> int:
    """Bytes of a leading ID3v2 tag (header, body, footer), 0 when there is none."""
    if not data.startswith(b"ID3"):
        return 0
    if len(data) < 10 or any(b & 0x80 for b in data[6:10]):
        raise CodecBytesError("ID3v2 tag with a truncated header or a size that is not syncsafe")
    body = int.from_bytes(bytes(b & 0x7F for b in data[6:10]), "big")  # 4 x 7 bits
    size = 10 + body + (10 if data[5] & 0x10 else 0)
    if size > len(data):
        raise CodecBytesError(f"ID3v2 tag of {size} bytes in a {len(data)}-byte file")
    return size


def ogg_opus_layout(data: bytes) -> Layout:
    """The Ogg Opus file's payload: its audio packets (RFC 3533 pages, RFC 7845 header packets).

    Checks: every page starts with "OggS", version 0, one stream serial, consecutive sequence numbers,
    BOS on the first page only, EOS on the last; the first packet is OpusHead alone on its page, the
    second OpusTags; no packet is left unfinished. Raises `CodecBytesError` otherwise.
    """
    pos, pages, serial, current = 0, 0, None, 0
    packets: list[tuple[int, int, int]] = []  # (page, offset of its first byte, length)
    last_flags = 0
    while pos < len(data):
        if data[pos : pos + 4] != b"OggS" or len(data) < pos + 27:
            raise CodecBytesError(f"no Ogg page at byte {pos}")
        version, flags = data[pos + 4], data[pos + 5]
        page_serial = int.from_bytes(data[pos + 14 : pos + 18], "little")
        sequence = int.from_bytes(data[pos + 18 : pos + 22], "little")
        lacing = data[pos + 27 : pos + 27 + data[pos + 26]]
        segment_at = pos + 27 + len(lacing)
        if version != 0 or len(lacing) != data[pos + 26] or segment_at + sum(lacing) > len(data):
            raise CodecBytesError(f"Ogg page at byte {pos}: version {version} or truncated")
        serial = page_serial if serial is None else serial
        if page_serial != serial or sequence != pages or bool(flags & 0x02) != (pages == 0):
            raise CodecBytesError(f"Ogg page {pages} at byte {pos}: a second stream, a lost page or a BOS")
        if bool(flags & 0x01) != (current > 0):
            raise CodecBytesError(f"Ogg page {pages} at byte {pos}: continuation flag disagrees")
        for value in lacing:
            if current == 0:
                first = (pages, segment_at)
            current += value
            segment_at += value
            if value < 255:
                packets.append((*first, current))
                current = 0
        pages += 1
        last_flags, pos = flags, segment_at
    if not pages or not last_flags & 0x04 or current:
        raise CodecBytesError("Ogg stream without an end-of-stream page, or with an unfinished packet")
    if len(packets) < 2 or packets[0][0] != 0 or packets[1][0] != 1:
        raise CodecBytesError("Ogg Opus stream whose first page does not hold OpusHead alone")
    for (_, at, _), magic in zip(packets, (b"OpusHead", b"OpusTags")):
        if data[at : at + 8] != magic:
            raise CodecBytesError(f"Ogg Opus stream without its {magic.decode()} packet")
    return Layout(len(data), sum(length for _, _, length in packets[2:]), pages)


MPEG_VERSIONS = {3: "1", 2: "2", 0: "2.5"}
L3_KBPS = {
    "1": (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    "2": (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
MPEG_RATES = {"1": (44100, 48000, 32000), "2": (22050, 24000, 16000), "2.5": (11025, 12000, 8000)}


def mp3_layout(data: bytes) -> Layout:
    """The MP3 file's payload: its audio frames' side info and main data (see the module).

    Raises `CodecBytesError` on anything but ID3v2, Layer III frames (no free format), an optional
    Xing/Info/VBRI first frame and an optional 128-byte ID3v1 tag, in that order.
    """
    end = len(data) - (128 if data[-128:-125] == b"TAG" else 0)
    pos = _id3v2_size(data)
    payload = frames = 0
    while pos < end:
        head = data[pos : pos + 4]
        if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
            raise CodecBytesError(f"no MPEG frame sync at byte {pos}")
        version = MPEG_VERSIONS.get((head[1] >> 3) & 3)
        bitrate_index, rate_index = head[2] >> 4, (head[2] >> 2) & 3
        if version is None or (head[1] >> 1) & 3 != 1 or bitrate_index in (0, 15) or rate_index == 3:
            raise CodecBytesError(
                f"MPEG frame at byte {pos} is not Layer III with a known rate: {head.hex()}"
            )
        kbps = L3_KBPS["1" if version == "1" else "2"][bitrate_index]
        slots = 144 if version == "1" else 72
        length = slots * kbps * 1000 // MPEG_RATES[version][rate_index] + ((head[2] >> 1) & 1)
        if pos + length > end:
            raise CodecBytesError(f"MPEG frame at byte {pos} runs past the audio ({length} bytes)")
        framing = 4 if head[1] & 1 else 6  # protection bit 0: a 2-byte CRC follows
        mono = head[3] >> 6 == 3
        side = (17 if mono else 32) if version == "1" else (9 if mono else 17)
        tag = data[pos + framing + side : pos + framing + side + 4]
        if frames == 0 and (tag in (b"Xing", b"Info") or data[pos + 36 : pos + 40] == b"VBRI"):
            pass  # the whole frame is the encoder's tag: overhead
        else:
            payload += length - framing
        frames += 1
        pos += length
    return Layout(len(data), payload, frames)


C2_MAGIC = b"\xc0\xde\xc2"
C2_HEADER_BYTES = 7


def codec2_layout(data: bytes, mode_id: int | None = None, frame_bytes: int | None = None) -> Layout:
    """The `.c2` file's payload: everything after its 7-byte header (codec2's `c2file.h`).

    Args:
        mode_id: when given, the header's mode must be it. frame_bytes: when given, the payload must
            be whole frames of this many bytes.
    """
    if len(data) < C2_HEADER_BYTES or data[:3] != C2_MAGIC:
        raise CodecBytesError("not a .c2 file (no C0 DE C2 header)")
    if mode_id is not None and data[5] != mode_id:
        raise CodecBytesError(f".c2 header says mode {data[5]}, expected {mode_id}")
    payload = len(data) - C2_HEADER_BYTES
    if frame_bytes and payload % frame_bytes:
        raise CodecBytesError(f".c2 payload of {payload} bytes is not whole {frame_bytes}-byte frames")
    return Layout(len(data), payload, payload // frame_bytes if frame_bytes else 0)


def adts_layout(data: bytes) -> Layout:
    """The ADTS AAC file's payload: each frame less its 7- or 9-byte header (ISO 14496-3, 1.A.2).

    Raises `CodecBytesError` on a lost sync, a truncated frame, a frame of several raw data blocks
    (not what ffmpeg writes) or trailing bytes.
    """
    pos = _id3v2_size(data)
    payload = frames = 0
    while pos < len(data):
        head = data[pos : pos + 7]
        if len(head) < 7 or head[0] != 0xFF or head[1] & 0xF6 != 0xF0:
            raise CodecBytesError(f"no ADTS sync at byte {pos}")
        header = 7 if head[1] & 1 else 9
        length = ((head[3] & 3) << 11) | (head[4] << 3) | (head[5] >> 5)
        if head[6] & 3 or length < header or pos + length > len(data):
            raise CodecBytesError(f"ADTS frame at byte {pos}: {length} bytes, {(head[6] & 3) + 1} blocks")
        payload += length - header
        frames += 1
        pos += length
    return Layout(len(data), payload, frames)
