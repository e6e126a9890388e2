"""The baseline codecs (`opus`, `mp3`, `codec2`, `aac`): rates as asked, quality rising with rate,
payload bytes read from the files, skips with their reason, and a known codec delay found."""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from codec.audio import to_mono_16k
from codec.audio_files import read_audio
from codec.errors import CodecError
from evals.gating.golden_set import golden_clips
from evals.methods import BASELINE_LADDER, METHODS, parse_method
from evals.methods import baseline_codecs as bc
from evals.methods.codec_bytes import (
    CodecBytesError,
    adts_layout,
    codec2_layout,
    mp3_layout,
    ogg_opus_layout,
)
from evals.metrics import all_metrics
from evals.running.align import calibrate, shift
from evals.running.config import MethodKey
from evals.running.worker import build_method

SPEECH = ["speech_male_arctic_a0007", "speech_female_arctic_a0009"]  # 2 s each

PAYLOAD_BAND = {"opus": (0.93, 1.03), "mp3": (0.97, 1.03)}
"""Payload kbit/s over the nominal rate, on the two clips joined (4 s). Measured here: Opus 0.97-1.00
(6-32 kbit/s), MP3 0.99-1.01 (24-64); on the 12 golden clips Opus 0.89-0.98, MP3 1.01-1.03."""
FILE_BAND = {"opus": (1.03, 1.45), "mp3": (1.01, 1.06)}
"""File kbit/s over the nominal rate, same 4 s. Measured: Opus 1.06 (32) to 1.37 (6), ~650 bytes of
headers (OpusTags padded by 512) being 1.3 kbit/s over 4 s; MP3 1.03-1.04 (frame headers, and the
Info frame from 40 kbit/s up)."""


def _speech(clip_id: str) -> np.ndarray:
    return to_mono_16k(*read_audio(golden_clips()[clip_id]["path"]))


@pytest.fixture(scope="module")
def speech() -> dict[str, np.ndarray]:
    return {clip: _speech(clip) for clip in SPEECH}


@pytest.fixture(scope="module")
def joined(speech) -> np.ndarray:
    return np.concatenate(list(speech.values()))


def _build(spec: str):
    name, params = parse_method(spec)
    return METHODS[name].build(None, "cpu", **{**METHODS[name].params, **params})


def sf_bytes(wave: np.ndarray, **write_args) -> bytes:
    """`wave` written by libsndfile into memory with `write_args`: the file's bytes."""
    buffer = io.BytesIO()
    sf.write(buffer, wave, 16000, **write_args)
    return buffer.getvalue()


def _kbps(num_bytes: int, wave: np.ndarray) -> float:
    return 8 * num_bytes / (len(wave) / 16000) / 1000


@pytest.mark.parametrize("spec", [s for s in BASELINE_LADDER if s.startswith(("opus", "mp3"))])
def test_opus_and_mp3_file_and_payload_rates_are_the_nominal_rate(spec, joined):
    name, params = parse_method(spec)
    coded = _build(spec)(joined)
    assert coded.nominal_kbps == params["kbps"]
    payload, file = _kbps(coded.payload_bytes, joined), _kbps(coded.num_bytes, joined)
    low, high = PAYLOAD_BAND[name]
    assert low <= payload / params["kbps"] <= high, (payload, spec)
    low, high = FILE_BAND[name]
    assert low <= file / params["kbps"] <= high, (file, spec)
    assert len(coded.wave) >= len(joined) and coded.wave.dtype == np.float32


def test_the_rate_mappings_invert_libsndfiles_own_formulas():
    """libsndfile 1.2.2's C expressions (truncated to int) give back exactly the rate asked for."""
    for kbps in (6, 7.5, 12, 24, 64, 256):
        level = bc.opus_compression_level(kbps)
        assert int((1.0 - level) * 250000.0 + 6000.0) == round(kbps * 1000)
    for kbps in bc.MP3_KBPS:
        assert int(160.0 - bc.mp3_compression_level(kbps) * (160.0 - 8.0)) == kbps


@pytest.mark.parametrize(
    "spec, said",
    [
        ("opus:kbps=5", "opus kbps must be in"),
        ("opus:kbps=300", "opus kbps must be in"),
        ("mp3:kbps=33", "MPEG-2 Layer III"),
        ("mp3:kbps=192", "MPEG-2 Layer III"),
        ("aac:kbps=4", "aac kbps"),
        ("codec2:mode=2000", "codec2 mode must be one of"),
    ],
)
def test_a_rate_the_codec_cannot_do_is_refused_with_the_reason(spec, said):
    with pytest.raises(CodecError, match=said):
        _build(spec)


def test_opus_quality_rises_with_rate_clip_for_clip(speech):
    """PESQ-WB (monotone here: 6 < 12 < 24 kbit/s on both clips), aligned by the calibrated delay."""
    pesq = all_metrics()["pesq_wb"].fn
    for clip, wave in speech.items():
        scores = []
        for kbps in (6, 12, 24):
            reconstruct = _build(f"opus:kbps={kbps}")
            estimate, reference = shift(reconstruct(wave).wave, wave, calibrate(reconstruct).samples)
            scores.append(pesq(estimate, reference))
        assert scores == sorted(scores) and scores[-1] - scores[0] > 0.5, (clip, scores)


def test_ogg_parser_on_a_stream_built_by_hand():
    """Packets of 300, 255 (a 0 lacing value ends it) and one spanning two pages: payload 300+255+600."""

    def page(seq: int, flags: int, lacing: list[int]) -> bytes:
        head = b"OggS\x00" + bytes([flags]) + bytes(8) + (7).to_bytes(4, "little") + seq.to_bytes(4, "little")
        return head + bytes(4) + bytes([len(lacing)]) + bytes(lacing)

    opus_head = b"OpusHead" + bytes(11)
    tags = b"OpusTags" + bytes(600)
    pages = [
        page(0, 0x02, [19]) + opus_head,
        page(1, 0, [255, 255, 98]) + tags,
        page(2, 0, [255, 45, 255, 0, 255, 255]) + bytes(300 + 255 + 510),
        page(3, 0x05, [90]) + bytes(90),
    ]
    data = b"".join(pages)
    layout = ogg_opus_layout(data)
    assert (layout.payload, layout.frames) == (300 + 255 + 600, 4)
    assert layout.overhead == 4 * 27 + (1 + 3 + 6 + 1) + 19 + 608
    for broken in (
        data[:-1],  # truncated
        data + data,  # a second stream
        pages[0].replace(b"OpusHead", b"OpusHeaX") + b"".join(pages[1:]),
        b"".join(pages[:3]),  # no end-of-stream page, an unfinished packet
        pages[0] + pages[2] + pages[1] + pages[3],  # pages out of order
    ):
        with pytest.raises(CodecBytesError):
            ogg_opus_layout(broken)


def test_ogg_parser_on_libsndfiles_opus(joined):
    data = sf_bytes(joined, format="OGG", subtype="OPUS", compression_level=bc.opus_compression_level(12))
    layout = ogg_opus_layout(data)
    assert layout.frames == data.count(b"OggS") and layout.payload + layout.overhead == len(data)
    assert data.find(b"OpusHead") == 28 and data.find(b"OpusTags") > 0
    assert 27 * layout.frames + 19 + 8 + 512 <= layout.overhead < 27 * layout.frames + 19 + 8 + 512 + 600


@pytest.mark.parametrize("kbps, frame, info_frame", [(24, 108, False), (48, 216, True)])
def test_mp3_parser_counts_frames_headers_and_the_info_frame(kbps, frame, info_frame, joined):
    """CBR at 16 kHz: every frame is 72 * kbps / 16 bytes; LAME writes its Info frame only where
    a frame can hold the LAME tag (from 40 kbit/s): its bytes, and each 4-byte header, are overhead."""
    data = sf_bytes(
        joined,
        format="MP3",
        subtype="MPEG_LAYER_III",
        compression_level=bc.mp3_compression_level(kbps),
        bitrate_mode="CONSTANT",
    )
    layout = mp3_layout(data)
    assert len(data) == frame * layout.frames
    assert layout.payload == (layout.frames - info_frame) * (frame - 4)
    id3v2 = b"ID3\x03\x00\x00\x00\x00\x00\x14" + bytes(20)
    id3v1 = b"TAG" + bytes(125)
    assert mp3_layout(id3v2 + data + id3v1).payload == layout.payload
    for broken in (data[:-1], data + b"APETAGEX" + bytes(24), data[:100] + data[101:]):
        with pytest.raises(CodecBytesError):
            mp3_layout(broken)


def test_adts_parser_on_frames_built_by_hand():
    def frame(length: int, crc: bool) -> bytes:
        head = bytes([0xFF, 0xF0 if crc else 0xF1, 0x60, 0x40 | (length >> 11), (length >> 3) & 0xFF])
        return head + bytes([((length & 7) << 5) | 0x1F, 0xFC]) + bytes(length - 7)

    data = frame(100, False) + frame(50, True) + frame(7, False)
    layout = adts_layout(data)
    assert (layout.payload, layout.frames) == (93 + 41 + 0, 3)
    with pytest.raises(CodecBytesError):
        adts_layout(data[:-1])
    with pytest.raises(CodecBytesError):
        adts_layout(data + b"\x00")


def test_codec2_and_aac_skip_with_the_package_to_install_when_the_tool_is_absent(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    for spec, package in [("codec2:mode=700C", "codec2"), ("aac:kbps=24", "ffmpeg")]:
        reconstruct, info = build_method(MethodKey(spec))
        assert reconstruct is None and info["status"] == "skipped", info
        assert f"install Debian's {package} package" in info["reason"], info


def _need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (Debian packages codec2, ffmpeg, lame, mpg123)")


@pytest.mark.parametrize("mode", ["3200", "1300", "700C"])
def test_codec2_runs_narrowband_and_its_file_is_whole_frames(mode, joined):
    _need("c2enc", "c2dec")
    from evals.running.bandwidth import audio_bandwidth

    coded = _build(f"codec2:mode={mode}")(joined)
    mode_id, bps, frame, frame_bytes = bc.CODEC2_MODES[mode]
    frames = -(-len(joined) // 2 // frame)
    assert coded.num_bytes == 7 + frames * frame_bytes and coded.payload_bytes == frames * frame_bytes
    assert coded.nominal_kbps == bps / 1000 and len(coded.wave) == 2 * frames * frame
    assert 3000 <= audio_bandwidth(coded.wave, joined) <= 4250
    with pytest.raises(CodecBytesError, match="mode"):
        codec2_layout(b"\xc0\xde\xc2\x01\x00\x07\x00" + bytes(frame_bytes), mode_id, frame_bytes)


def test_aac_runs_and_its_payload_is_the_adts_frames_less_their_headers(joined):
    _need("ffmpeg")
    reconstruct = _build("aac:kbps=24")
    coded = reconstruct(joined)
    assert 0.95 <= _kbps(coded.payload_bytes, joined) / 24 <= 1.15  # measured 1.08 on the 12 golden clips
    frames, rest = divmod(coded.num_bytes - coded.payload_bytes, 7)  # one 7-byte header per frame
    assert rest == 0 and len(joined) / 1024 <= frames <= len(joined) / 1024 + 3  # + priming and flush
    assert calibrate(reconstruct).samples == 1024  # the encoder's priming, kept by ADTS


def test_a_lame_encode_decoded_without_gapless_is_aligned_by_the_delay_consensus(tmp_path):
    """A raw `lame` encode decoded by `mpg123 --no-gapless` is late by 576 + 529 = 1105 samples at
    16 kHz; `python -m evals score` (`score_folders`) must find that delay from the clips alone."""
    _need("lame", "mpg123")
    from evals.running.config import RunConfig
    from evals.running.external import Folders, score_folders

    ref_dir, est_dir = tmp_path / "ref", tmp_path / "est"
    ref_dir.mkdir(), est_dir.mkdir()
    for clip in [*SPEECH, "speech_male_librivox_0870"]:
        sf.write(ref_dir / f"{clip}.wav", _speech(clip), 16000, subtype="PCM_16")
        mp3 = tmp_path / f"{clip}.mp3"
        subprocess.run(["lame", "--quiet", "-b", "32", ref_dir / f"{clip}.wav", mp3], check=True, timeout=60)
        subprocess.run(
            ["mpg123", "-q", "--no-gapless", "-w", est_dir / f"{clip}.wav", mp3], check=True, timeout=60
        )
    config = RunConfig(outdir=tmp_path / "run", metrics=["snr"], jobs=1, progress=False, save_audio=False)
    delay = score_folders(config, Folders(ref_dir, est_dir, name="lame"))["methods"]["lame"]["delay"]
    assert delay["source"] == "consensus" and abs(delay["samples"] - 1105) <= 2, delay
    assert calibrate(_build("mp3:kbps=32")).samples == delay["samples"]  # libsndfile's MP3 at 32: same


def test_a_run_records_what_the_baseline_codecs_ran_with(monkeypatch):
    """Their output depends on libsndfile's and the tools' versions: a run's summary records them, and
    an absent tool as None (never a guess)."""
    import shutil

    import soundfile

    from evals.provenance import codec_tools

    tools = codec_tools()
    assert tools["libsndfile"] == soundfile.__libsndfile_version__
    if shutil.which("ffmpeg"):
        assert tools["ffmpeg"].startswith("ffmpeg version")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert {k: v for k, v in codec_tools().items() if k != "libsndfile"} == dict.fromkeys(
        ["ffmpeg", "lame", "mpg123", "c2enc"]
    )
