"""Run folders are safe: nothing a user wrote is overwritten without --force, a run's inputs are never
its outputs, one run at a time holds a folder, --force clears only what a run writes, a run that
scored nothing says so, and `score --name` cannot escape or hit a reserved folder (issue 27)."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile as sf

from evals.cli import main
from evals.running.config import RunConfig
from evals.running.runner import RunError, run

FAST = ["-m", "griffinlim", "--metric", "snr", "--engine", "in-process", "--no-progress", "--device", "cpu"]


def _wav(path, rate=16000, channels=1, seconds=0.5, subtype="FLOAT"):
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(rate * seconds)) / rate
    wave = 0.3 * np.sin(2 * np.pi * 440 * t)[:, None].repeat(channels, axis=1)
    sf.write(str(path), wave.astype(np.float32), rate, subtype=subtype)
    return path


def _one_error_line(capsys, *needles):
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, err
    return err


def test_an_input_among_the_outputs_is_refused_even_with_force(tmp_path, capsys):
    """Item 1: `run X -o X` with X/audio/reference/a.wav replaced the input by a 16 kHz mono copy."""
    x = tmp_path / "X"
    source = _wav(x / "audio" / "reference" / "a.wav", rate=44100, channels=2, subtype="PCM_24")
    before = source.read_bytes()
    for extra in ([], ["--force"]):
        assert main(["run", str(x), "-o", str(x), *FAST, *extra]) == 2
        _one_error_line(capsys, "inside the input folder", str(x))
        assert main(["run", str(source), "-o", str(x), *FAST, *extra]) == 2
        _one_error_line(capsys, "lies in audio of the output folder", "even with --force")
    assert source.read_bytes() == before
    assert sorted(p.name for p in x.iterdir()) == ["audio"]


def test_a_users_files_in_the_output_folder_need_force(tmp_path, capsys):
    """Item 1: a user's report.html, figures/metrics.png and audio/ in the output folder were overwritten."""
    source = _wav(tmp_path / "in" / "a.wav")
    for name in ("report.html", "figures/metrics.png", "audio/reference/a.wav", "scorecard.md"):
        out = tmp_path / name.replace("/", "_")
        mine = out / name
        mine.parent.mkdir(parents=True)
        mine.write_text("mine")
        assert main(["run", str(source), "-o", str(out), *FAST]) == 2
        _one_error_line(capsys, str(mine), "--force")
        assert mine.read_text() == "mine"
    (out / "notes.txt").write_text("not a run's output")
    assert main(["run", str(source), "-o", str(out), *FAST, "--force"]) == 0
    assert (out / "notes.txt").read_text() == "not a run's output"
    assert not (out / "scorecard.md").exists() and (out / "summary.json").is_file()
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "notes.txt").write_text("a folder without a run's outputs needs no --force")
    assert main(["run", str(source), "-o", str(clean), *FAST]) == 0


def test_an_output_folder_inside_an_input_folder_is_refused(tmp_path, capsys):
    """Item 6: `run C -o C/run1` then --resume fed the run its own outputs; so did
    `score REF EST -o REF/out`."""
    corpus = tmp_path / "C"
    _wav(corpus / "a.wav")
    assert main(["run", str(corpus), "-o", str(corpus / "run1"), *FAST]) == 2
    _one_error_line(capsys, "lies inside the input folder", "pick an -o outside")
    assert not (corpus / "run1").exists()
    estimates = tmp_path / "EST"
    _wav(estimates / "a.wav")
    for out in (corpus / "out", estimates / "out"):
        score = ["score", str(corpus), str(estimates), "-o", str(out), "--metric", "snr"]
        assert main([*score, "--engine", "in-process", "--no-progress", "--force"]) == 2
        _one_error_line(capsys, "lies inside the input folder")
        assert not out.exists()


HOLDER = textwrap.dedent(
    """
    import sys
    from evals.run_folder import hold

    with hold(sys.argv[1]):
        print("held", flush=True)
        sys.stdin.readline()
    """
)


def test_a_second_run_into_a_held_folder_is_refused(tmp_path, capsys):
    """Item 7: two runs into one folder both ran, doubling every record."""
    source = _wav(tmp_path / "in" / "a.wav")
    out = tmp_path / "out"
    first = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert first.stdout.readline().strip() == "held"
        assert main(["run", str(source), "-o", str(out), *FAST]) == 2
        _one_error_line(capsys, str(out), "another run holds it")
        assert not (out / "clips.jsonl").exists()
    finally:
        first.communicate("\n", timeout=60)
    assert first.returncode == 0
    assert main(["run", str(source), "-o", str(out), *FAST]) == 0  # released when the first ended


def test_summarize_and_rate_wait_for_no_run_they_refuse_a_held_folder(tmp_path, capsys):
    """A summary or rate report written while a run still appends records would describe half a run
    (and race its summary): both refuse a folder a run holds, in one line, and write nothing."""
    from tests.rate_records import ladder_records, write_run

    run = write_run(
        tmp_path / "run", ladder_records(["speech_a", "music_b"], {"opus:kbps={}": (1.0, [6, 12])})
    )
    first = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(run)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert first.stdout.readline().strip() == "held"
        for command in (["summarize", str(run), "--no-report"], ["rate", str(run), "--resamples", "5"]):
            assert main(command) == 2
            _one_error_line(capsys, str(run), "another run holds it")
        assert sorted(p.name for p in run.iterdir()) == [".lock", "clips.jsonl"]
    finally:
        first.communicate("\n", timeout=60)
    assert main(["rate", str(run), "--resamples", "5"]) == 0  # released when the run ended


def test_a_run_that_scored_nothing_exits_1(tmp_path, capsys):
    """Item 13: a typo in --weights (every method skipped) or every record an error exited 0."""
    source = _wav(tmp_path / "in" / "a.wav")
    typo = ["-m", "vae+griffinlim", "--weights", str(tmp_path / "no-such-weights")]
    args = ["--metric", "snr", "--engine", "in-process", "--no-progress", "--device", "cpu"]
    assert main(["run", str(source), "-o", str(tmp_path / "skipped"), *typo, *args]) == 1
    assert "error: nothing was scored: every method was skipped (vae+griffinlim:" in capsys.readouterr().err
    broken = tmp_path / "broken" / "b.wav"
    broken.parent.mkdir()
    broken.write_bytes(b"RIFF not really a wav file")
    assert main(["run", str(broken), "-o", str(tmp_path / "errored"), *FAST]) == 1
    assert "error: nothing was scored: every record of griffinlim is an error" in capsys.readouterr().err
    assert main(["run", str(source), "-o", str(tmp_path / "fine"), *FAST]) == 0


@pytest.mark.parametrize("name", ["reference", "Reference", "..", ".", "a/b", "../escaped"])
def test_score_refuses_a_name_that_escapes_or_hits_a_reserved_folder(tmp_path, capsys, name):
    """Item 14: `--name reference` overwrote the saved references; `--name ..` wrote at the run root."""
    ref, est, out = tmp_path / "ref", tmp_path / "est", tmp_path / "out"
    _wav(ref / "a.wav")
    _wav(est / "a.wav")
    args = ["score", str(ref), str(est), "-o", str(out), "--name", name, "--metric", "snr", "--no-progress"]
    assert main([*args, "--engine", "in-process"]) == 2
    _one_error_line(capsys, f"method name {name!r}", "pass another --name")
    assert not out.exists()


def test_an_interrupted_force_run_leaves_no_old_outputs(tmp_path, monkeypatch):
    """Item 18: an interrupted --force run left the old summary and report beside the new run.json."""
    import evals.running.runner as runner

    source = _wav(tmp_path / "in" / "a.wav")
    out = tmp_path / "out"
    old = ["run.json", "clips.jsonl", "summary.json", "summary.md", "report.html", "scorecard.html"]
    old += ["figures/metrics.png", "audio/griffinlim/a.wav", ".attempts/x"]
    for name in old:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text("old run")
    (out / "notes.txt").write_text("not a run's output")

    def interrupted(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "_probe", interrupted)
    config = RunConfig(
        outdir=out, inputs=[str(source)], methods=["griffinlim"], engine="in-process", force=True
    )
    with pytest.raises(KeyboardInterrupt):
        run(config)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    with pytest.raises(RunError, match="has no run.json to resume"):  # --resume keeps, never clears
        run(RunConfig(outdir=out, inputs=[str(source)], methods=["griffinlim"], resume=True))
