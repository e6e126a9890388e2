"""`python -m codec reconstruct`: lengths, rates, overwriting, atomic writes, one-line errors."""

import os
import subprocess
import sys
from pathlib import Path

import soundfile as sf

from codec.audio import resampled_length
from codec.cli import main
from tests.helpers import GOLDEN

DRUMS = GOLDEN / "examples" / "drums_amen_44k_stereo.flac"
SPEECH = GOLDEN / "examples" / "speech_male_arctic_a0007.flac"
ROOT = Path(__file__).resolve().parent.parent


def run(tiny_checkpoint, *args) -> int:
    return main(
        [
            "reconstruct",
            *args,
            "--weights",
            str(tiny_checkpoint),
            "--vocoder",
            "griffinlim",
            "--griffinlim-iters",
            "2",
            "--device",
            "cpu",
        ]
    )


def test_reconstruct_real_recording_keeps_rate_and_length(tiny_checkpoint, tmp_path, capsys):
    out = tmp_path / "drums.wav"
    assert run(tiny_checkpoint, str(DRUMS), "-o", str(out)) == 0
    info, source = sf.info(str(out)), sf.info(str(DRUMS))
    assert (info.samplerate, info.frames, info.channels) == (source.samplerate, source.frames, 1)
    assert info.subtype == "FLOAT"
    assert "wrote" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["drums.wav"], "temporary file left behind"


def test_output_rate_16000(tiny_checkpoint, tmp_path):
    out = tmp_path / "drums16k.flac"
    assert run(tiny_checkpoint, str(DRUMS), "-o", str(out), "--output-rate", "16000") == 0
    info = sf.info(str(out))
    assert (info.samplerate, info.frames) == (
        16000,
        resampled_length(sf.info(str(DRUMS)).frames, 44100, 16000),
    )


def test_refuses_to_overwrite_without_force(tiny_checkpoint, tmp_path, capsys):
    out = tmp_path / "speech.wav"
    out.write_bytes(b"precious")
    assert run(tiny_checkpoint, str(SPEECH), "-o", str(out)) == 1
    assert out.read_bytes() == b"precious"
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists; pass --force" in err
    assert run(tiny_checkpoint, str(SPEECH), "-o", str(out), "--force") == 0
    assert sf.info(str(out)).frames == 64000


def test_never_writes_over_its_input_even_with_force(tiny_checkpoint, tmp_path, capsys):
    source = tmp_path / "in.flac"
    source.write_bytes(SPEECH.read_bytes())
    assert run(tiny_checkpoint, str(source), "-o", str(source), "--force") == 1
    assert source.read_bytes() == SPEECH.read_bytes()
    assert "refusing to write over the input" in capsys.readouterr().err


def test_unreadable_inputs_give_one_line(tiny_checkpoint, tmp_path, capsys):
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio")
    assert run(tiny_checkpoint, str(text), "-o", str(tmp_path / "a.wav")) == 1
    assert "cannot read" in capsys.readouterr().err
    assert run(tiny_checkpoint, str(tmp_path / "missing.wav"), "-o", str(tmp_path / "b.wav")) == 1
    assert "input file not found" in capsys.readouterr().err
    assert run(tiny_checkpoint, str(SPEECH), "-o", str(tmp_path / "c.mp4")) == 1
    assert ".wav, .flac or .ogg" in capsys.readouterr().err


def test_missing_weights_print_one_clear_line_and_no_traceback(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "PYTHONPATH": str(ROOT)}
    env.pop("CODEC_DEBUG", None)
    result = subprocess.run(
        [sys.executable, "-m", "codec", "reconstruct", str(SPEECH), "-o", str(tmp_path / "out.wav")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "weights 'cvssp/audioldm2-music' not found" in lines[0]
    assert "hf download" in lines[0] and not (tmp_path / "out.wav").exists()


def test_help_does_not_import_torch():
    code = (
        "import sys; from codec.cli import build_parser; build_parser().format_help(); "
        "sys.exit('torch' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60).returncode == 0
