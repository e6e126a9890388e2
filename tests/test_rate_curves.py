"""Rate-quality curves (evals/reports/rate_curves.py, rate_report.py) and `python -m evals rate RUN`:
families, classes, points from measured rates, rate.md / rate.json / figures, and files it did not write
left alone without --force. Synthetic records only."""

from __future__ import annotations

import json

import pytest

from evals.cli import main
from evals.reports.rate_curves import ALL, clip_class, family, is_container_sweep, rate_table, split_spec
from evals.reports.rate_report import NoRatePoints, build_rate_report, from_json, to_json
from evals.run_folder import rate_figure_path, rate_json_file, rate_md_file
from tests.rate_records import ladder_records, record, write_run

CLIPS = ["speech_a", "speech_b", "music_c", "env_d"]
LADDERS = {"opus:kbps={}": (1.0, [6, 12, 24, 48]), "vae+hifigan:bits={}": (2.0, [3, 6, 12])}


def test_a_family_is_the_spec_without_its_rate_parameters():
    assert family("opus:kbps=12") == "opus"
    assert family("vae+hifigan:bits=4") == "vae+hifigan"
    assert family("vae+griffinlim:bits=3,griffinlim_iters=8") == "vae+griffinlim:griffinlim_iters=8"
    assert family("codec2:mode=3200") == "codec2"
    # the container's fixed quantisations are another coder: a family of their own, never BD-rated
    assert family("vae+hifigan:quant=int8") == "vae+hifigan:quant" and is_container_sweep("vae+hifigan:quant")
    assert split_spec("vae+griffinlim:griffinlim_iters=8,quant=int8") == (
        "vae+griffinlim:griffinlim_iters=8,quant",
        "quant=int8",
    )
    assert not is_container_sweep("vae+hifigan") and not is_container_sweep("vae+x:quantiles=3")
    assert family("griffinlim") == "griffinlim"


def test_a_clip_class_is_the_prefix_of_its_id():
    assert clip_class("speech_male_arctic_a0007") == "speech" and clip_class("env_vinyl_hiss") == "env"
    assert clip_class("noprefix") is None and clip_class("_x") is None


def test_points_are_measured_rates_and_ok_means_per_class():
    records = [
        record("speech_a", "opus:kbps=12", 10.0, {"pesq_wb": 3.0}, seconds=1.0),
        record("speech_b", "opus:kbps=12", 16.0, {"pesq_wb": 2.0}, seconds=3.0),
        record("music_c", "opus:kbps=12", 12.0, {"pesq_wb": 4.0}),
        record("music_c", "griffinlim", None, {"pesq_wb": 1.0}),  # no file: not a rate point
        {**record("speech_b", "vae+x:bits=4", 5.0, {"pesq_wb": 9.0}, seconds=3.0), "status": "error"},
        record("speech_a", "vae+x:bits=4", 4.0, {"pesq_wb": 1.5}, seconds=1.0),
    ]
    records[2]["metrics"]["pesq_wb"]["status"] = "error"  # the music point has a rate, no value
    table = rate_table(records, ["pesq_wb"], "kbps")
    assert table.specs == ("opus:kbps=12", "vae+x:bits=4") and table.class_names() == [ALL, "music", "speech"]
    points = {(p.spec, p.clip_class): p for c in table.class_names() for p in table.points(c, ["pesq_wb"])}
    speech = points[("opus:kbps=12", "speech")]
    assert speech.kbps == pytest.approx((10 * 1 + 16 * 3) / 4)  # total bits over total seconds
    assert speech.value == pytest.approx(2.5) and (speech.n_clips, speech.n_ok) == (2, 2)
    music = points[("opus:kbps=12", "music")]
    assert music.kbps == 12.0 and music.value is None and music.n_ok == 0
    assert (
        points[("opus:kbps=12", ALL)].value == pytest.approx(2.5)
        and points[("opus:kbps=12", ALL)].n_clips == 3
    )
    vae = points[
        ("vae+x:bits=4", "speech")
    ]  # x and y over the same clips: the error record counts in neither
    assert vae.kbps == pytest.approx(4.0) and vae.value == 1.5 and vae.family == "vae+x"
    assert ("vae+x:bits=4", "music") not in points
    payload = rate_table(records, ["pesq_wb"]).points("music", ["pesq_wb"])  # the payload's rate by default
    assert payload[0].kbps == pytest.approx(12.0 * 0.9)


def test_a_run_without_rates_has_no_report():
    with pytest.raises(NoRatePoints, match="opus:kbps=6 .* vae\\+hifigan:bits=3"):
        build_rate_report([record("speech_a", "griffinlim", None, {"pesq_wb": 2.0})])


def test_the_report_survives_json():
    report = build_rate_report(ladder_records(CLIPS, LADDERS), resamples=30)
    assert from_json(json.loads(json.dumps(to_json(report)))) == report
    assert report.classes == (ALL, "env", "music", "speech") and report.families() == ["opus", "vae+hifigan"]
    bd = report.bd_result("vae+hifigan", "speech", "log_mel_l1")
    assert bd.percent == pytest.approx(-50.0) and bd.interval == pytest.approx((-50.0, -50.0))
    music = report.bd_result("vae+hifigan", "music", "pesq_wb")  # one clip: nothing to resample
    assert music.percent == pytest.approx(-50.0) and music.interval is None and music.resamples == 0
    assert music.reason == "no interval from one clip"


def test_rate_writes_its_files_prints_and_rebuilds_them(tmp_path, capsys):
    run = write_run(tmp_path / "run", ladder_records(CLIPS, LADDERS, noise=0.1))
    assert main(["rate", str(run), "--resamples", "50"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("# Rate and quality: run") and "rate.md, rate.json, rate/" in printed
    md = rate_md_file(run).read_text()
    assert "## Rate and quality: BD-rate against Opus" in md and "| vae+hifigan | PESQ-WB |" in md
    assert "vae+hifigan at 10.8 kbit/s (bits=12, speech PESQ-WB" in md  # nearest 10 kbit/s (payload rate)
    data = json.loads(rate_json_file(run).read_text())
    assert data["written_by"] == "python -m evals rate" and data["resamples"] == 50
    assert {(b["clip_class"], b["metric"]) for b in data["bd"]} == {
        (c, m) for c in (ALL, "env", "music", "speech") for m in ("pesq_wb", "log_mel_l1")
    }
    assert data["figures"] == ["rate/rate_overview.png", "rate/rate_pesq_wb.png", "rate/rate_log_mel_l1.png"]
    for name in ("overview", "pesq_wb", "log_mel_l1"):
        assert rate_figure_path(run, name).read_bytes()[:4] == b"\x89PNG"
    assert main(["rate", str(run), "--resamples", "20"]) == 0  # its own files: rebuilt
    assert json.loads(rate_json_file(run).read_text())["resamples"] == 20


def test_rate_leaves_files_it_did_not_write_without_force(tmp_path, capsys):
    run = write_run(tmp_path / "run", ladder_records(CLIPS[:2], LADDERS, metrics=("pesq_wb",)))
    rate_md_file(run).write_text("my notes\n")
    assert main(["rate", str(run), "--resamples", "10"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "rate.md exists and was not written by" in err and "--force" in err
    assert rate_md_file(run).read_text() == "my notes\n" and not rate_json_file(run).exists()
    assert main(["rate", str(run), "--resamples", "10", "--force"]) == 0
    assert rate_md_file(run).read_text().startswith("# Rate and quality")


def test_rate_says_what_to_run_when_a_run_has_no_rate_points(tmp_path, capsys):
    run = write_run(tmp_path / "run", [record("speech_a", "griffinlim", None, {"pesq_wb": 2.0})])
    assert main(["rate", str(run)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no rate points" in err and "python -m evals run" in err
    assert "-m opus:kbps=12" in err and not rate_md_file(run).exists()
    assert main(["rate", str(tmp_path / "nothing")]) == 2
    assert "no clips.jsonl" in capsys.readouterr().err
