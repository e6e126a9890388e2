"""`python -m codec encode` / `decode`: the container on disk, its bitrate, the model check."""

from __future__ import annotations

import re

import numpy as np
import pytest
import soundfile as sf

from codec.cli import main
from codec.container import unpack
from tests.helpers import GOLDEN

SPEECH = GOLDEN / "examples" / "speech_male_arctic_a0007.flac"
DRUMS = GOLDEN / "examples" / "drums_amen_44k_stereo.flac"


def encode(ckpt, source, out, *extra) -> int:
    return main(["encode", str(source), "-o", str(out), "--weights", str(ckpt), "--device", "cpu", *extra])


def decode(ckpt, source, out, *extra) -> int:
    return main(
        [
            "decode",
            str(source),
            "-o",
            str(out),
            "--weights",
            str(ckpt),
            "--vocoder",
            "griffinlim",
            "--griffinlim-iters",
            "2",
            "--device",
            "cpu",
            *extra,
        ]
    )


@pytest.mark.parametrize("quant", ["float32", "float16", "int8"])
def test_encode_reports_the_bitrate_of_the_bytes_written_and_decode_restores_rate_and_length(
    tiny_checkpoint, tmp_path, capsys, quant
):
    box = tmp_path / "drums.al2c"
    assert encode(tiny_checkpoint, DRUMS, box, "--quant", quant, "--entropy", "lzma") == 0
    said = capsys.readouterr().out
    info = sf.info(str(DRUMS))
    kbps = 8 * box.stat().st_size / (info.frames / info.samplerate) / 1000
    assert re.search(rf"{box.stat().st_size} bytes .* = {kbps:.2f} kbit/s \({quant}, lzma\)", said), said
    assert unpack(box.read_bytes()).quantisation == quant
    out = tmp_path / "drums.wav"
    assert decode(tiny_checkpoint, box, out) == 0
    back = sf.info(str(out))
    assert (back.samplerate, back.frames, back.channels) == (info.samplerate, info.frames, 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["drums.al2c", "drums.wav"], "temporary file left"


def test_container_decode_equals_the_in_memory_round_trip_at_float32(tiny_checkpoint, tmp_path):
    from codec.audio_files import read_audio
    from codec.pipeline import Codec

    box, out = tmp_path / "s.al2c", tmp_path / "s.wav"
    assert encode(tiny_checkpoint, SPEECH, box, "--quant", "float32") == 0
    assert decode(tiny_checkpoint, box, out) == 0
    codec = Codec.from_pretrained(
        str(tiny_checkpoint), vocoder="griffinlim", griffinlim_iters=2, device="cpu"
    )
    wave, rate = read_audio(SPEECH)
    expected = codec.reconstruct(wave, rate, output_rate=rate)
    np.testing.assert_array_equal(sf.read(str(out), dtype="float32")[0], expected)


def test_decoding_with_another_model_is_refused(tiny_checkpoint, tmp_path, capsys):
    from tests.tiny_models import save_tiny_checkpoint

    other = save_tiny_checkpoint(tmp_path / "other", seed=1)
    box = tmp_path / "s.al2c"
    assert encode(tiny_checkpoint, SPEECH, box) == 0
    capsys.readouterr()
    assert decode(other, box, tmp_path / "s.wav") == 1
    err = capsys.readouterr().err
    assert "encoded with another model" in err and "decode it with --weights" in err and err.count("\n") == 1
    assert not (tmp_path / "s.wav").exists()


@pytest.mark.parametrize("stored", ["attacker/evil-weights", "other-folder"])
def test_decode_never_loads_the_model_the_container_names(
    tiny_checkpoint, tmp_path, capsys, monkeypatch, stored
):
    """Issue 27 item 8: the file's stored model id (a hub id, or a folder holding other weights) is
    never resolved or loaded; decode uses --weights, else the default, and checks the fingerprint."""
    import dataclasses

    from codec import pipeline
    from codec.constants import DEFAULT_MODEL
    from codec.container import pack
    from tests.tiny_models import save_tiny_checkpoint

    other = save_tiny_checkpoint(tmp_path / "other-folder", seed=1)
    stored = str(other) if stored == "other-folder" else stored
    box, crafted = tmp_path / "s.al2c", tmp_path / "crafted.al2c"
    assert encode(tiny_checkpoint, SPEECH, box) == 0
    crafted.write_bytes(pack(dataclasses.replace(unpack(box.read_bytes()), model_id=stored)))
    asked: list[str] = []
    real = pipeline.resolve_weights

    def spy(name, parts):
        asked.append(str(name))
        return real(tiny_checkpoint if name == DEFAULT_MODEL else name, parts)

    monkeypatch.setattr(pipeline, "resolve_weights", spy)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # were the file's id ever resolved, no download is tried
    quick = ["--vocoder", "griffinlim", "--griffinlim-iters", "2", "--device", "cpu"]
    capsys.readouterr()
    assert main(["decode", str(crafted), "-o", str(tmp_path / "a.wav"), *quick]) == 0, capsys.readouterr()
    assert asked == [DEFAULT_MODEL]  # the default (here the tiny model), not the file's name
    asked.clear()
    assert main(["decode", str(crafted), "-o", str(tmp_path / "b.wav"), "--weights", str(other), *quick]) == 1
    err = capsys.readouterr().err
    assert asked == [str(other)] and "encoded with another model" in err and err.count("\n") == 1, err
    assert f"--weights {stored}" not in err and not (tmp_path / "b.wav").exists()


@pytest.mark.parametrize("scale", [1e300, 3e38])
def test_a_crafted_gain_is_refused_not_written_as_inf_samples(tiny_checkpoint, tmp_path, capsys, scale):
    """Issue 27 item 16: a container with scale 1e300 decoded to a WAV full of Inf samples. Beyond
    float32's range the header is refused; within it, the non-finite decoded audio is."""
    import dataclasses

    from codec.container import pack

    box, crafted, out = tmp_path / "s.al2c", tmp_path / "crafted.al2c", tmp_path / "s.wav"
    assert encode(tiny_checkpoint, SPEECH, box) == 0
    crafted.write_bytes(pack(dataclasses.replace(unpack(box.read_bytes()), scale=scale)))
    capsys.readouterr()
    assert decode(tiny_checkpoint, crafted, out) == 1
    err = capsys.readouterr().err
    assert ("impossible values in the header" if scale > 3.5e38 else "NaN or Inf samples") in err, err
    assert err.count("\n") == 1 and not out.exists()


def test_decode_refuses_damaged_and_foreign_files_before_loading_a_model(tmp_path, capsys):
    box = tmp_path / "x.al2c"
    box.write_bytes(SPEECH.read_bytes())
    assert decode(tmp_path / "no-such-weights", box, tmp_path / "x.wav") == 1
    assert "not an .al2c container" in capsys.readouterr().err
    assert decode(tmp_path / "w", tmp_path / "missing.al2c", tmp_path / "x.wav") == 1
    assert "input file not found" in capsys.readouterr().err


def test_encode_never_overwrites_without_force(tiny_checkpoint, tmp_path, capsys):
    box = tmp_path / "s.al2c"
    box.write_bytes(b"precious")
    assert encode(tiny_checkpoint, SPEECH, box) == 1
    assert box.read_bytes() == b"precious" and "pass --force" in capsys.readouterr().err
    assert encode(tiny_checkpoint, SPEECH, box, "--force") == 0
    assert unpack(box.read_bytes()).num_samples == 64000


def test_an_interrupted_write_leaves_nothing_behind(tmp_path, monkeypatch):
    from codec import atomic

    target = tmp_path / "out.al2c"

    def interrupted(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic.atomic_write(target, interrupted)
    assert list(tmp_path.iterdir()) == []


def test_encode_bits_writes_the_rate_ladder_and_decode_reads_it(tiny_checkpoint, tmp_path, capsys):
    box, out = tmp_path / "s.al2c", tmp_path / "s.wav"
    assert encode(tiny_checkpoint, SPEECH, box, "--bits", "2.5") == 0
    said = capsys.readouterr().out
    kbps = 8 * box.stat().st_size / 4.0 / 1000  # the clip is 4 s
    assert f"{box.stat().st_size} bytes for 4.00 s = {kbps:.2f} kbit/s (uniform, 2.5 bits, range)" in said
    c = unpack(box.read_bytes())
    assert (c.quantisation, c.entropy) == ("uniform", "range") and box.read_bytes()[8] == 2
    assert decode(tiny_checkpoint, box, out) == 0 and sf.info(str(out)).frames == 64000


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--bits", "0"], "argument --bits: bits must be a number from 1 to 12"),
        (["--bits", "13"], "bits must be a number from 1 to 12 (bits per coded latent value); got '13'"),
        (["--bits", "four"], "bits must be a number from 1 to 12"),
        (["--bits", "nan"], "bits must be a number from 1 to 12"),
        (["--bits", "4", "--quant", "int8"], "--bits sets the quantisation and the coder; drop --quant"),
        (["--bits", "4", "--entropy", "lzma"], "--bits sets the quantisation and the coder; drop --quant"),
    ],
)
def test_encode_refuses_bad_bits_before_anything_is_written(tmp_path, capsys, extra, message):
    box = tmp_path / "s.al2c"
    with pytest.raises(SystemExit) as stop:
        encode(tmp_path / "no-such-weights", SPEECH, box, *extra)
    assert stop.value.code != 0 and message in capsys.readouterr().err + str(stop.value.code)
    assert not box.exists()
