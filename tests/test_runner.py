"""`python -m evals run` end to end on real recordings with small saved models: files, counts,
skips with reasons, bad clips that never stop the run, and no overwriting."""

import json

import numpy as np
import pytest
import soundfile as sf

from evals.cli import main
from evals.metrics import all_metrics
from evals.records import read_records
from evals.result import MetricResult
from evals.running.config import RunConfig
from evals.running.runner import RunError, run
from tests.helpers import GOLDEN
from tests.tiny_models import save_tiny_checkpoint

EXAMPLES = GOLDEN / "examples"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    for path in EXAMPLES.glob("*.flac"):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "broken.wav").write_bytes(b"RIFF not really a wav file")
    sf.write(str(folder / "silence.wav"), np.zeros(8000, np.float32), 16000)
    return folder


@pytest.fixture(scope="module")
def vae_only(tmp_path_factory):
    return save_tiny_checkpoint(tmp_path_factory.mktemp("vae-only"), vocoder=False)


@pytest.fixture(scope="module")
def finished_run(inputs, vae_only, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    summary = run(
        RunConfig(
            outdir=out,
            inputs=[str(inputs)],
            methods=["griffinlim", "vae+griffinlim", "vae+hifigan"],
            weights=str(vae_only),
            device="cpu",
            jobs=1,
            progress=False,
        )
    )
    return out, summary


def test_run_writes_every_output(finished_run):
    out, summary = finished_run
    assert {p.name for p in out.iterdir()} == {
        "run.json",
        "clips.jsonl",
        "summary.json",
        "summary.md",
        "audio",
    }
    assert json.loads((out / "summary.json").read_text()) == summary
    assert "## The reports' baselines" in (out / "summary.md").read_text()
    for method in ("reference", "griffinlim", "vae+griffinlim"):
        written = sorted(p.name for p in (out / "audio" / method).iterdir())
        assert written == ["drums_amen_44k_stereo.wav", "silence.wav", "speech_male_arctic_a0007.wav"]
    assert sf.info(str(out / "audio" / "griffinlim" / "speech_male_arctic_a0007.wav")).frames == 64000


def test_method_without_weights_is_skipped_with_the_reason(finished_run):
    _, summary = finished_run
    info = summary["methods"]["vae+hifigan"]
    assert info["status"] == "skipped" and "not found (need vae/, vocoder/)" in info["reason"]
    assert "vocoder/config.json" in info["detail"] and "--weights" in info["reason"]
    assert summary["methods"]["vae+griffinlim"]["weights_sha256"]
    assert "weights_sha256" not in summary["methods"]["griffinlim"]


def test_every_clip_and_failure_is_counted(finished_run):
    out, summary = finished_run
    rows = read_records(out)
    assert len(rows) == 2 * 4  # two methods ran, four inputs
    broken = [r for r in rows if r["clip"] == "broken"]
    assert all(r["status"] == "error" and "input unreadable" in r["reason"] for r in broken)
    for method in ("griffinlim", "vae+griffinlim"):
        mine = [r for r in rows if r["method"] == method]
        for name in all_metrics():
            agg = summary["methods"][method]["metrics"][name]
            statuses = [r["metrics"][name]["status"] for r in mine]
            assert (agg["n_ok"], agg["n_skipped"], agg["n_error"]) == (
                statuses.count("ok"),
                statuses.count("skipped"),
                statuses.count("error"),
            )
            ok = [
                MetricResult.from_json(r["metrics"][name]).value
                for r in mine
                if r["metrics"][name]["status"] == "ok"
            ]
            assert agg["mean"] == (pytest.approx(float(np.mean(ok))) if ok else None)
    silent = next(r for r in rows if r["clip"] == "silence" and r["method"] == "griffinlim")
    assert silent["metrics"]["pesq_wb"] == {"value": None, "status": "skipped", "reason": "silent reference"}


def test_summary_records_provenance_and_timing(finished_run):
    _, summary = finished_run
    env = summary["environment"]
    assert env["device"] == "cpu" and env["packages"]["torch"] and env["packages"]["pesq"]
    timing = summary["methods"]["griffinlim"]["timing"]
    assert timing["clips"] == 3 and timing["real_time_factor"] > 0
    assert timing["x_real_time"] == pytest.approx(1 / timing["real_time_factor"])
    assert any(b["ours"] is not None for b in summary["baselines"])


def test_existing_run_is_not_overwritten_without_force(finished_run, inputs):
    out, _ = finished_run
    before = (out / "summary.json").read_text()
    with pytest.raises(
        RunError, match="already holds a run; pass --resume to finish it, --force to overwrite it"
    ):
        run(RunConfig(outdir=out, inputs=[str(inputs)], methods=["griffinlim"], progress=False))
    assert (out / "summary.json").read_text() == before


def test_cli_run_no_audio_and_parallel_metrics_match_inline(tmp_path, capsys):
    speech = str(EXAMPLES / "speech_male_arctic_a0007.flac")
    drums = str(EXAMPLES / "drums_amen_44k_stereo.flac")
    code = main(
        [
            "run",
            speech,
            drums,
            "-m",
            "griffinlim",
            "-o",
            str(tmp_path / "a"),
            "--no-audio",
            "--jobs",
            "2",
            "--no-progress",
            "--device",
            "cpu",
        ]
    )
    assert code == 0 and not (tmp_path / "a" / "audio").exists()
    assert "log_mel_l1" in capsys.readouterr().out
    inline = run(
        RunConfig(
            outdir=tmp_path / "b",
            inputs=[speech, drums],
            methods=["griffinlim"],
            save_audio=False,
            jobs=1,
            progress=False,
        )
    )
    parallel = json.loads((tmp_path / "a" / "summary.json").read_text())
    for name in all_metrics():
        assert parallel["methods"]["griffinlim"]["metrics"][name]["mean"] == pytest.approx(
            inline["methods"]["griffinlim"]["metrics"][name]["mean"], abs=1e-9, nan_ok=True
        ), name


def test_unknown_method_and_missing_input_give_one_line(tmp_path, capsys):
    assert main(["run", str(EXAMPLES), "-m", "wavenet", "-o", str(tmp_path / "x")]) == 2
    assert "unknown method" in capsys.readouterr().err
    assert main(["run", str(EXAMPLES), "-m", "griffinlim:bogus=1", "-o", str(tmp_path / "z")]) == 2
    assert "takes ['momentum', 'n_iter']" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "nothing.wav"), "-o", str(tmp_path / "y")]) == 2
    assert "input not found" in capsys.readouterr().err


def test_visqol_and_dnsmos_are_recorded_with_their_status(finished_run):
    out, summary = finished_run
    rows = read_records(out)
    speech = next(r for r in rows if r["method"] == "griffinlim" and r["clip"] == "speech_male_arctic_a0007")
    for name in ("visqol_speech", "visqol_audio_16k", "dnsmos_sig", "dnsmos_bak", "dnsmos_ovrl"):
        assert speech["metrics"][name]["status"] == "ok" and 1.0 <= speech["metrics"][name]["value"] <= 5.0
        assert summary["methods"]["griffinlim"]["metrics"][name]["n_ok"] >= 2
    silent = next(r for r in rows if r["method"] == "griffinlim" and r["clip"] == "silence")
    assert (
        silent["metrics"]["dnsmos_ovrl"]["status"] == "skipped" and silent["metrics"]["dnsmos_ovrl"]["reason"]
    )
    assert silent["metrics"]["visqol_speech"]["value"] is None


def test_a_frame_aligned_method_records_its_declared_delay(finished_run):
    out, summary = finished_run
    assert summary["methods"]["griffinlim"]["delay"] == {
        "samples": 0,
        "source": "declared",
        "detail": "frame-aligned by construction",
    }
    rows = read_records(out)
    assert all(r["delay_samples"] == 0 for r in rows if r["method"] == "griffinlim")
