"""`python -m evals score REFERENCE_DIR ESTIMATE_DIR`: outputs decoded elsewhere, scored like a method."""

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
import soxr

from codec.audio import to_mono_16k
from codec.audio_files import read_audio
from evals.gating.golden_set import golden_clips
from evals.records import read_records
from evals.running.config import RunConfig
from evals.running.external import Folders, score_folders
from evals.running.runner import RunError

CLIPS = ["speech_male_arctic_a0007", "music_drums_amen", "env_birds_opensoundscape"]
METRICS = ["log_mel_l1", "snr", "snr_raw", "stoi"]
TRUE_DELAY = 480  # 30 ms, a plausible codec look-ahead


def _reference(clip_id: str) -> np.ndarray:
    return to_mono_16k(*read_audio(golden_clips()[clip_id]["path"]))


def _codec_output(x: np.ndarray, delay: int, seed: int) -> np.ndarray:
    """A phase-keeping codec: late by `delay`, white noise at 10 dB SNR, and 800 extra samples."""
    noisy = x + np.random.default_rng(seed).normal(0, np.sqrt(np.mean(x**2) / 10), x.shape).astype(np.float32)
    return np.concatenate([np.zeros(delay, np.float32), noisy, np.zeros(800 - delay, np.float32)])


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """references as 16 kHz FLAC (one in a subfolder); estimates as 24 kHz float WAV, plus one stray."""
    root = tmp_path_factory.mktemp("external")
    ref_dir, est_dir = root / "ref", root / "est"
    for i, clip in enumerate(CLIPS):
        sub = "sub/" if i == 1 else ""
        (ref_dir / sub).mkdir(parents=True, exist_ok=True)
        (est_dir / sub).mkdir(parents=True, exist_ok=True)
        x = _reference(clip)
        sf.write(ref_dir / f"{sub}{clip}.flac", x, 16000, subtype="PCM_24")
        y = soxr.resample(_codec_output(x, TRUE_DELAY, i), 16000, 24000)
        sf.write(est_dir / f"{sub}{clip}.wav", y, 24000, subtype="FLOAT")
    sf.write(est_dir / "stray.wav", np.zeros(16000, np.float32), 16000)
    return ref_dir, est_dir


def _rows(out):
    return read_records(out)


def _config(outdir) -> RunConfig:
    return RunConfig(outdir=outdir, metrics=METRICS, jobs=1, progress=False, save_audio=False)


def test_pairs_by_relative_path_finds_the_true_delay_and_lists_strays(folders, tmp_path):
    ref_dir, est_dir = folders
    summary = score_folders(_config(tmp_path / "run"), Folders(ref_dir, est_dir, name="mycodec"))
    info = summary["methods"]["mycodec"]
    assert info["delay"]["samples"] == TRUE_DELAY and info["delay"]["source"] == "consensus", info["delay"]
    assert info["unmatched_estimates"] == [str(est_dir / "stray.wav")]
    rows = _rows(tmp_path / "run")
    assert sorted(r["clip"] for r in rows) == sorted(
        ["speech_male_arctic_a0007", "sub/music_drums_amen", "env_birds_opensoundscape"]
    )
    for row in rows:
        assert row["status"] == "ok" and row["delay_samples"] == TRUE_DELAY and not row["lag_disagrees"]
        assert row["estimate_rate"] == 24000 and row["reference_rate"] == 16000
        assert row["length_difference_samples"] == 800
        assert row["metrics"]["snr"]["value"] > 9.0  # 10 dB SNR once shifted back; raw is far worse
        assert row["metrics"]["snr_raw"]["value"] < 3.0


def test_a_weak_peak_never_shifts_anything(tmp_path):
    """Griffin-Lim outputs (random phase, weak peaks) decoded 'elsewhere': delay 0, nothing shifted."""
    from evals.methods.core import griffinlim_builder

    ref_dir, est_dir = tmp_path / "ref", tmp_path / "est"
    ref_dir.mkdir()
    est_dir.mkdir()
    vocoder = griffinlim_builder(None, "cpu")
    for clip in CLIPS:
        x = _reference(clip)
        sf.write(ref_dir / f"{clip}.wav", x, 16000, subtype="FLOAT")
        sf.write(est_dir / f"{clip}.wav", vocoder(x), 16000, subtype="FLOAT")
    summary = score_folders(_config(tmp_path / "run"), Folders(ref_dir, est_dir))
    assert next(iter(summary["methods"].values()))["delay"]["samples"] == 0
    for row in _rows(tmp_path / "run"):
        assert (
            row["delay_samples"] == 0 and row["metrics"]["snr"]["value"] == row["metrics"]["snr_raw"]["value"]
        )


def test_a_missing_estimate_is_a_counted_error_and_delay_can_be_given(folders, tmp_path):
    ref_dir, est_dir = folders
    partial = tmp_path / "est"
    partial.mkdir()
    (partial / f"{CLIPS[0]}.wav").write_bytes((est_dir / f"{CLIPS[0]}.wav").read_bytes())
    summary = score_folders(_config(tmp_path / "run"), Folders(ref_dir, partial, delay=TRUE_DELAY))
    info = next(iter(summary["methods"].values()))
    assert info["delay"] == {"samples": TRUE_DELAY, "source": "given", "detail": "--delay"}
    assert info["n_clips_failed"] == 2 and info["metrics"]["snr"]["n_error"] == 2
    errors = [r for r in _rows(tmp_path / "run") if r["status"] == "error"]
    assert len(errors) == 2 and all(r["reason"].startswith("no estimate") for r in errors)


def test_ambiguous_and_empty_folders_are_clear_errors(folders, tmp_path):
    ref_dir, est_dir = folders
    twin = tmp_path / "est"
    twin.mkdir()
    for suffix in (".wav", ".flac"):
        sf.write(twin / f"{CLIPS[0]}{suffix}", np.zeros(1600, np.float32), 16000)
    with pytest.raises(RunError, match="ambiguous"):
        score_folders(RunConfig(outdir=tmp_path / "run1", progress=False), Folders(ref_dir, twin))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RunError, match="pairs"):
        score_folders(RunConfig(outdir=tmp_path / "run2", progress=False), Folders(ref_dir, empty))


def test_cli_scores_two_folders_writes_the_report_and_compares(folders, tmp_path):
    ref_dir, est_dir = folders
    out = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "evals",
        "score",
        str(ref_dir),
        str(est_dir),
        "-o",
        str(out),
        "--name",
        "mycodec",
        "--no-progress",
        "--jobs",
        "1",
    ] + [a for m in METRICS for a in ("--metric", m)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "| mycodec | 480 | consensus |" in done.stdout and "stray.wav" in done.stderr
    assert (out / "report.html").is_file() and (out / "audio" / "mycodec").is_dir()
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and "--force" in again.stderr
    same = subprocess.run(
        [sys.executable, "-m", "evals", "compare", str(out), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert same.returncode == 0, same.stdout + same.stderr
