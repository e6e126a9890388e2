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


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_written_files_follow_the_umask_like_open_does(tmp_path, umask):
    """Issue 27 item 9: atomic writes (mkstemp + os.replace) gave 0600 whatever the umask."""
    import os
    import stat

    from codec.atomic import current_umask, write_bytes

    old = os.umask(umask)
    try:
        assert current_umask() == umask
        plain = tmp_path / "plain.bin"
        plain.write_bytes(b"x")
        write_bytes(tmp_path / "a.al2c", b"x")
        write_audio(tmp_path / "a.flac", np.zeros(160, np.float32), 16000)
        write_bytes(tmp_path / "a.al2c", b"y", force=True)  # overwriting too
    finally:
        os.umask(old)
    expected = 0o666 & ~umask
    assert stat.S_IMODE(plain.stat().st_mode) == expected
    for name in ("a.al2c", "a.flac"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == expected, name


def test_integer_formats_say_how_many_samples_they_clip_and_nothing_non_finite_is_written(tmp_path, capsys):
    """Issue 27 item 16: FLAC (24-bit) was hard-clipped without a word; Inf samples were written."""
    wave = np.array([0.5, 1.5, -2.0, 1.0, -0.25], np.float32)
    write_audio(tmp_path / "a.flac", wave, 16000)
    err = capsys.readouterr().err
    assert err.startswith("warning: 2 of 5 samples are beyond [-1, 1] and were clipped in a.flac")
    assert err.count("\n") == 1
    back, _ = sf.read(str(tmp_path / "a.flac"), dtype="float32")
    np.testing.assert_allclose(back, np.clip(wave, -1, 1), atol=2**-22)
    write_audio(tmp_path / "a.wav", wave, 16000)  # float WAV keeps them: no warning
    assert capsys.readouterr().err == ""
    np.testing.assert_array_equal(sf.read(str(tmp_path / "a.wav"), dtype="float32")[0], wave)
    for bad in (np.inf, np.nan):
        with pytest.raises(InvalidAudioError, match="NaN or Inf"):
            write_audio(tmp_path / "b.wav", np.array([0.0, bad], np.float32), 16000)
    assert not (tmp_path / "b.wav").exists()
