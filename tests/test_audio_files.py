"""Audio file IO (codec.audio_files): channels-first reading, no overwriting, atomic writes."""

import numpy as np
import pytest
import soundfile as sf

from codec.audio_files import read_audio, write_audio
from codec.errors import InvalidAudioError, OutputExistsError, OutputPathError
from tests.helpers import GOLDEN


def test_read_audio_is_channels_first_float32():
    wave, rate = read_audio(GOLDEN / "examples" / "drums_amen_44k_stereo.flac")
    assert (wave.shape, wave.dtype, rate) == ((2, 3 * 44100), np.float32, 44100)


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_read_audio_scales_every_pcm_width_to_unit_range(tmp_path, subtype):
    path = tmp_path / f"{subtype}.wav"
    sf.write(str(path), np.array([0.5, -0.5, 0.0]), 8000, subtype=subtype)
    np.testing.assert_allclose(read_audio(path)[0][0], [0.5, -0.5, 0.0], atol=1 / 128)


def test_write_refuses_an_existing_file_without_force(tmp_path):
    out = tmp_path / "x.wav"
    out.write_bytes(b"keep me")
    with pytest.raises(OutputExistsError, match="exists; pass --force"):
        write_audio(out, np.zeros(100, np.float32), 16000)
    assert out.read_bytes() == b"keep me"
    write_audio(out, np.zeros(100, np.float32), 16000, force=True)
    assert sf.info(str(out)).frames == 100


def test_a_failed_write_leaves_neither_a_partial_file_nor_a_changed_target(tmp_path, monkeypatch):
    out = tmp_path / "x.flac"
    out.write_bytes(b"old")

    def crash(path, *args, **kwargs):
        open(path, "wb").write(b"half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(sf, "write", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        write_audio(out, np.zeros(100, np.float32), 16000, force=True)
    assert out.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["x.flac"]


def test_write_refuses_the_input_file_and_unknown_formats(tmp_path):
    source = tmp_path / "in.wav"
    sf.write(str(source), np.zeros(10), 16000)
    with pytest.raises(OutputPathError, match="over the input file"):
        write_audio(source, np.zeros(10, np.float32), 16000, force=True, source=source)
    with pytest.raises(InvalidAudioError, match=r"\.wav, \.flac or \.ogg"):
        write_audio(tmp_path / "x.mp3", np.zeros(10, np.float32), 16000)
