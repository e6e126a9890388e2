"""Stable clip ids, summaries of the run's own clips, files that are not read said so, and a run added
to the history once (issue 27, items 3, 4, 5, 17 and 21)."""

import json

import numpy as np
import pytest
import soundfile as sf

from evals.cli import main
from evals.records import read_records
from evals.run_folder import audio_path, clip_file_stem, clips_file
from evals.running.inputs import RunError, check_wav_complete, input_clips
from evals.running.summarize import summarize

FAST = ["-m", "griffinlim", "--metric", "snr", "--engine", "in-process", "--no-progress", "--device", "cpu"]
SCORE_FAST = ["--metric", "snr", "--engine", "in-process", "--no-progress", "--no-report"]


def _wav(path, freq=440.0, seconds=0.5, gain=0.3):
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(16000 * seconds)) / 16000
    sf.write(str(path), (gain * np.sin(2 * np.pi * freq * t)).astype(np.float32), 16000, subtype="FLOAT")
    return path


def _ids(clips):
    return {c.id: c.path for c in clips}


def test_summary_counts_only_the_runs_clips_and_methods(tmp_path, capsys):
    """Item 3: a foreign record in clips.jsonl (another clip, another method) was averaged in."""
    corpus, out = tmp_path / "c", tmp_path / "run"
    _wav(corpus / "a.wav")
    _wav(corpus / "b.wav", freq=300)
    assert main(["run", str(corpus), "-o", str(out), *FAST, "--no-report", "--no-audio"]) == 0
    record = read_records(out)[0]
    foreign = [
        {**record, "clip": "ghost", "path": str(tmp_path / "ghost.wav")},
        {**record, "method": "vae+griffinlim"},
        {**record, "path": str(tmp_path / "elsewhere" / "a.wav")},  # the id of another file
    ]
    with open(clips_file(out), "a", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in foreign[:2])
    summary = summarize(out, report=False)
    snr = summary["methods"]["griffinlim"]["metrics"]["snr"]
    assert snr["n_ok"] == 2, snr
    assert summary["methods"]["griffinlim"]["n_clips_missing"] == 0
    with open(clips_file(out), "a", encoding="utf-8") as f:
        f.write(json.dumps(foreign[2]) + "\n")  # last one written wins, but it is not this run's file
    summary = summarize(out, report=False)
    assert summary["methods"]["griffinlim"]["metrics"]["snr"]["n_ok"] == 1
    assert summary["methods"]["griffinlim"]["n_clips_missing"] == 1


def test_resume_with_other_inputs_or_methods_is_refused(tmp_path, capsys):
    """Item 3: `--resume` checked neither the inputs nor the methods against run.json."""
    corpus, out = tmp_path / "c", tmp_path / "run"
    _wav(corpus / "a.wav")
    other = _wav(tmp_path / "other" / "z.wav")
    assert main(["run", str(corpus), "-o", str(out), *FAST, "--no-report", "--no-audio"]) == 0
    before = clips_file(out).read_bytes()
    capsys.readouterr()
    for argv in (
        ["run", str(corpus), str(other), "-o", str(out), *FAST],
        ["run", str(corpus), "-o", str(out), *FAST, "-m", "copysynth"],
    ):
        assert main([*argv, "--no-report", "--no-audio", "--resume"]) == 2
        err = capsys.readouterr().err.splitlines()[-1]
        assert err.startswith("error: RunError: --resume: this run's"), err
        assert "--force for a new run" in err and "-o for another folder" in err, err
    assert clips_file(out).read_bytes() == before
    assert main(["run", str(corpus), "-o", str(out), *FAST, "--no-report", "--no-audio", "--resume"]) == 0


def test_clip_ids_are_relative_paths_that_do_not_depend_on_other_files(tmp_path):
    """Item 4: `d/sub1/b.wav` was `b` until `d/0/b.wav` appeared, then `b` meant the other file."""
    d = tmp_path / "d"
    first = _wav(d / "sub1" / "b.wav")
    _wav(d / "a.wav")
    before = _ids(input_clips([str(d)]))
    assert before == {"a": str(d / "a.wav"), "sub1/b": str(first)}
    _wav(d / "0" / "b.wav")
    after = _ids(input_clips([str(d)]))
    assert after["sub1/b"] == str(first) and after["0/b"] == str(d / "0" / "b.wav")
    # files named on the command line keep their stem (the golden set's ids); one stem twice is refused
    assert _ids(input_clips([str(first), str(d / "a.wav")])) == {"b": str(first), "a": str(d / "a.wav")}
    with pytest.raises(RunError, match=r"both get the clip id 'b' \(files named on the command line"):
        input_clips([str(first), str(d / "0" / "b.wav")])


def test_compare_refuses_a_clip_whose_audio_changed(tmp_path, capsys):
    """Item 4: records carry the sha256 of the reference; compare refuses a clip id naming other audio."""
    d = tmp_path / "d"
    _wav(d / "sub1" / "b.wav")
    _wav(d / "a.wav")
    assert main(["run", str(d), "-o", str(tmp_path / "A"), *FAST, "--no-report"]) == 0
    records = read_records(tmp_path / "A")
    assert {r["clip"] for r in records} == {"a", "sub1/b"}
    assert all(len(r["sha256"]) == 64 for r in records)
    assert audio_path(tmp_path / "A", "griffinlim", "sub1/b").name == "sub1%2Fb.wav"
    assert audio_path(tmp_path / "A", "griffinlim", "sub1/b").is_file()
    _wav(d / "sub1" / "b.wav", freq=1000)  # the same id, other audio
    assert main(["run", str(d), "-o", str(tmp_path / "B"), *FAST, "--no-report", "--no-audio"]) == 0
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "A"), str(tmp_path / "B")]) == 2
    err = capsys.readouterr().err
    assert "different reference audio" in err and "sub1/b" in err and "a (" not in err, err


def test_score_ids_never_share_a_file(tmp_path):
    """Item 5: `a/b.wav` and `a__b.wav` both became `a__b`; one overwrote the other's audio."""
    assert len({clip_file_stem(i) for i in ("a/b", "a__b", "a%2Fb", "a%252Fb", "a_b")}) == 5
    ref, est, out = tmp_path / "ref", tmp_path / "est", tmp_path / "out"
    for root in (ref, est):
        _wav(root / "a" / "b.wav", freq=300)
        _wav(root / "a__b.wav", freq=900)
    assert main(["score", str(ref), str(est), "-o", str(out), *SCORE_FAST]) == 0
    records = read_records(out)
    assert sorted(r["clip"] for r in records) == ["a/b", "a__b"]
    assert all(r["status"] == "ok" for r in records)
    saved = sorted(p.name for p in (out / "audio" / "est").iterdir())
    assert saved == ["a%2Fb.wav", "a__b.wav"], saved


def test_skipped_files_are_said_and_a_truncated_wav_is_an_error(tmp_path, capsys):
    """Item 17: other files, symlinked folders and truncated WAVs were skipped or cut without notice."""
    d = tmp_path / "d"
    _wav(d / "a.wav")
    (d / "notes.txt").write_text("x")
    t = np.arange(8000) / 16000
    sf.write(str(d / "m.mp3"), (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000, format="MP3")
    _wav(tmp_path / "elsewhere" / "c.wav")
    (d / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    whole = _wav(tmp_path / "t.wav").read_bytes()
    (d / "t.wav").write_bytes(whole[: len(whole) // 2])
    told = []
    clips = input_clips([str(d)], report=lambda path, why: told.append((path.name, why)))
    assert sorted(c.id for c in clips) == ["a", "m", "t"]
    assert [name for name, _ in sorted(told)] == ["linked", "notes.txt"], told
    assert "symlinked folder" in dict(told)["linked"]
    with pytest.raises(ValueError, match="truncated"):
        check_wav_complete(d / "t.wav")
    check_wav_complete(d / "a.wav")
    assert main(["run", str(d), "-o", str(tmp_path / "run"), *FAST, "--no-report", "--no-audio"]) == 0
    err = capsys.readouterr().err
    assert f"skipped {d / 'notes.txt'}" in err and f"skipped {d / 'linked'}" in err, err
    by_clip = {r["clip"]: r for r in read_records(tmp_path / "run")}
    assert by_clip["a"]["status"] == "ok" and by_clip["m"]["status"] == "ok", by_clip["m"]
    assert by_clip["t"]["status"] == "error" and "truncated" in by_clip["t"]["reason"], by_clip["t"]


def test_history_add_of_the_same_run_twice_is_refused(tmp_path, capsys):
    """Item 21: `history add` of one run twice added two entries."""
    corpus, out, history = tmp_path / "c", tmp_path / "run", tmp_path / "history"
    _wav(corpus / "a.wav")
    assert main(["run", str(corpus), "-o", str(out), *FAST, "--no-report", "--no-audio"]) == 0
    argv = ["history", "--dir", str(history), "add", str(out)]
    assert main(argv) == 0
    capsys.readouterr()
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert "already in the history" in err, err
    assert len(list(history.glob("*.json"))) == 1
