"""`listen` and `listening` on bad input: one line on stderr, exit code 2, nothing lost; the test id
follows the stimuli; blocks when there are more methods than a trial holds."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import soundfile as sf

from evals.cli import main
from tests.listening_helpers import CLIPS, METHODS, make_run, ratings


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("listen-input"))


@pytest.fixture(scope="module")
def test_dir(run_dir) -> Path:
    out = run_dir.parent / "test"
    assert main(["listen", str(run_dir), "-o", str(out)]) == 0
    return out


@pytest.fixture
def layout(test_dir) -> dict:
    return json.loads((test_dir / "test.json").read_text())


def _write(path: Path, data) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def _fails(capsys, argv: list[str], *words: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err
    return err


def test_the_test_folder_holds_the_page_its_stimuli_and_the_layout(test_dir, layout):
    assert sorted(p.name for p in test_dir.iterdir()) == ["index.html", "stimuli", "test.json"]
    assert len(layout["trials"]) == len(CLIPS) and len(layout["blocks"]) == 1
    for trial in layout["trials"]:
        conditions = [s["condition"] for s in trial["signals"]]
        assert conditions == ["hidden_reference", "anchor_low", "anchor_mid", *METHODS]
        assert trial["signals"][0]["sha256"] == trial["reference"]["sha256"]
        script = (test_dir / "stimuli" / f"{trial['stimuli']}.js").read_text()
        assert all(s["sha256"] in script for s in trial["signals"])
    page = (test_dir / "index.html").read_text()
    assert "griffinlim" not in page  # blind: the page names no method
    assert not re.search(r"<script[^>]* src=", page) and not re.search(r"(src|href)=\"?https?:", page)
    assert any("7 kHz anchor" in note for note in layout["notes"])


def test_the_test_id_follows_every_stimulus_byte(run_dir, tmp_path):
    from evals.listening.stimuli import build
    from evals.run_folder import audio_path

    first = build(run_dir).layout.test_id
    assert build(run_dir).layout.test_id == first  # the same run, the same test
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    wav = audio_path(copy, "griffinlim", "music_drums_amen")
    audio, rate = sf.read(wav)
    audio[1000] += 0.01
    sf.write(wav, audio, rate, subtype="FLOAT")
    assert build(copy).layout.test_id != first
    assert build(copy, METHODS[::-1]).layout.test_id != build(copy, METHODS).layout.test_id


def test_an_edited_layout_is_refused(test_dir, tmp_path, capsys):
    copy = tmp_path / "test"
    shutil.copytree(test_dir, copy)
    data = json.loads((copy / "test.json").read_text())
    data["trials"][0]["signals"][3]["condition"] = "griffinlim-64it"
    _write(copy / "test.json", data)
    _fails(capsys, ["listening", str(copy), str(copy)], "edited")


def test_a_layout_with_a_metric_that_is_no_number_is_refused(test_dir, tmp_path, capsys):
    copy = tmp_path / "test"
    shutil.copytree(test_dir, copy)
    data = json.loads((copy / "test.json").read_text())
    clip = next(iter(data["metrics"]))
    method = next(iter(data["metrics"][clip]))
    data["metrics"][clip][method]["pesq_wb"] = "high"
    _write(copy / "test.json", data)
    _fails(capsys, ["listening", str(copy), str(copy)], "metric values must be finite numbers")


def test_more_methods_than_a_trial_holds_are_split_into_blocks(run_dir, monkeypatch, tmp_path):
    from evals.listening import stimuli

    monkeypatch.setattr(stimuli, "METHODS_PER_BLOCK", 1)
    built = stimuli.build(run_dir)
    assert built.layout.blocks == (("griffinlim",), ("griffinlim-64it",))
    assert len(built.layout.trials) == 2 * len(CLIPS)
    assert any("split into 2 blocks" in note for note in built.layout.notes)
    from evals.listening.page import write_test

    page = write_test(built, tmp_path / "blocks").read_text()
    assert "split into 2 blocks" in page and '"blocks": 2' in page


def test_listen_refuses_what_it_cannot_do_and_replaces_only_its_own_files(
    run_dir, test_dir, tmp_path, capsys
):
    _fails(capsys, ["listen", str(run_dir), "-o", str(test_dir)], "exists", "--force")
    _fails(capsys, ["listen", str(run_dir), "-o", str(tmp_path / "t"), "-m", "nope"], "nope", "griffinlim")
    _fails(capsys, ["listen", str(tmp_path), "-o", str(tmp_path / "t")], "not a run folder")
    out = tmp_path / "mine"
    out.mkdir()
    _write(out / "notes.txt", "keep me")
    assert main(["listen", str(run_dir), "-o", str(out), "-m", "griffinlim"]) == 0
    assert main(["listen", str(run_dir), "-o", str(out), "--force"]) == 0
    assert (out / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    "case, words",
    [
        ("another test", ["another test"]),
        ("truncated", ["not a readable JSON", "cut short"]),
        ("not ratings", ["not a listening-test ratings file"]),
        ("out of range", ["outside 0-100"]),
        ("same listener twice", ["appears twice", "keep one"]),
        ("no ratings", ["no ratings", "leave it out"]),
        ("too few after screening", ["1 listener(s) left", "at least 2", "hidden reference below 90"]),
    ],
)
def test_bad_ratings_get_one_line_and_lose_nothing(test_dir, layout, tmp_path, capsys, case, words):
    good = _write(tmp_path / "ann.json", ratings(layout, "ann"))
    bad = ratings(layout, "bob", shift=-3)
    if case == "another test":
        bad["test_id"] = "0123456789abcdef"
    elif case == "truncated":
        bad = json.dumps(bad)[:200]
    elif case == "not ratings":
        bad = {"hello": 1}
    elif case == "out of range":
        bad["trials"]["t01"]["ratings"][layout["trials"][0]["signals"][4]["key"]] = 130
    elif case == "same listener twice":
        bad["listener"] = "ANN"
    elif case == "no ratings":
        bad["trials"] = {k: {**v, "ratings": {}} for k, v in bad["trials"].items()}
    elif case == "too few after screening":
        bad = ratings(layout, "bob", shift=-40)  # the hidden reference at 60 everywhere
    bad_file = _write(tmp_path / "bob.json", bad)
    before = {p: p.read_bytes() for p in [*test_dir.rglob("*"), good, bad_file] if p.is_file()}
    _fails(capsys, ["listening", str(test_dir), str(good), str(bad_file)], *words)
    after = {p: p.read_bytes() for p in [*test_dir.rglob("*"), good, bad_file] if p.is_file()}
    assert after == before  # nothing written, nothing changed


def test_the_analysis_reads_a_folder_and_keeps_an_earlier_one_without_force(
    run_dir, test_dir, layout, tmp_path, capsys
):
    folder = tmp_path / "collected"
    folder.mkdir()
    _write(folder / "ann.json", ratings(layout, "ann"))
    _write(folder / "bob.json", ratings(layout, "bob", shift=-5))
    target = tmp_path / "test"
    shutil.copytree(test_dir, target)
    assert main(["listening", str(target), str(folder)]) == 0
    out = capsys.readouterr().out
    assert "hidden reference" in out and "Kendall" in out and "7 kHz anchor" in out
    assert (target / "listening-figures" / "scores-all.png").stat().st_size > 5000
    md = (target / "listening.md").read_text()
    _fails(capsys, ["listening", str(target), str(folder)], "exists", "--force")
    assert (target / "listening.md").read_text() == md
    assert main(["listening", str(target), str(folder), "--force"]) == 0
    # a new test in the folder would leave a stale analysis beside it: refused, or removed with --force
    _fails(capsys, ["listen", str(run_dir), "-o", str(target)], "exists")
    assert main(["listen", str(run_dir), "-o", str(target), "-m", "griffinlim", "--force"]) == 0
    assert not (target / "listening.md").exists() and not (target / "listening-figures").exists()


def test_the_page_escapes_what_it_shows(run_dir, tmp_path):
    from dataclasses import replace

    from evals.listening.page import write_test
    from evals.listening.stimuli import build

    hostile = '</script><b onmouseover="alert(1)">x</b>'
    built = build(run_dir)
    built = replace(built, layout=replace(built.layout, notes=(hostile,)))
    page = write_test(built, tmp_path / "t").read_text()
    assert hostile not in page and "<b onmouseover" not in page
    assert page.count("</script>") == 2  # the data and the script: nothing closes them early


def test_a_delayed_codec_is_aligned_with_its_reference(tmp_path):
    """A codec's saved output carries its start-up delay (MP3: 1105 samples): the trial plays it shifted
    back by the run's delay for that method, so that switching to it does not jump in time."""
    import io

    import numpy as np
    import soundfile as sf

    from evals.listening.stimuli import clip_wavs
    from evals.run_folder import REFERENCE, audio_path

    rng = np.random.default_rng(0)
    reference = (0.3 * rng.standard_normal(16000)).astype(np.float32)
    late = np.concatenate([np.zeros(1105, np.float32), reference])
    for folder, wave in ((REFERENCE, reference), ("mp3:kbps=32", late)):
        path = audio_path(tmp_path, folder, "speech_x")
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, wave, 16000, subtype="FLOAT")
    wavs, rate = clip_wavs(tmp_path, "speech_x", ["mp3:kbps=32"], {"mp3:kbps=32": 1105})
    played = {c: sf.read(io.BytesIO(b))[0] for c, b in wavs.items()}
    assert rate == 16000 and played["mp3:kbps=32"].shape == reference.shape
    np.testing.assert_allclose(played["mp3:kbps=32"], played["reference"], atol=1e-4)
