"""`python -m evals scorecard`: one table on the golden set, the model named plainly, skips
with reasons, gates, and the reports' figures beside ours."""

import json

import pytest

from evals import scorecard as scorecard_module
from evals.cli import main
from tests.tiny_models import save_tiny_checkpoint


@pytest.fixture
def no_real_weights(monkeypatch, tmp_path):
    import huggingface_hub.constants as hub

    monkeypatch.setattr(hub, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(scorecard_module, "EMBEDDED_MODEL", tmp_path / "no-embedded-model")


def test_scorecard_table_skips_and_gates(no_real_weights, tmp_path, capsys):
    out = tmp_path / "card"
    code = main(
        [
            "scorecard",
            "-o",
            str(out),
            "-m",
            "griffinlim",
            "-m",
            "mel80+griffinlim-32it",
            "-m",
            "vae+hifigan",
            "--no-audio",
            "--no-progress",
            "--clip",
            "speech_male_arctic_a0007",
            "--clip",
            "speech_female_fullband_alsa_front_center",
            "--clip",
            "env_vinyl_hiss",
        ]
    )
    printed = capsys.readouterr().out
    card = json.loads((out / "scorecard.json").read_text())
    assert code == 0 and card["gates_failed"] == 0
    assert card["model"].startswith("none: the real AudioLDM2 weights were not found")
    assert card["methods"]["vae+hifigan"]["status"] == "skipped"
    assert "not found" in card["methods"]["vae+hifigan"]["reason"]
    assert card["methods"]["griffinlim"]["gates_total"] > 0  # classes run in full: speech_fullband...
    for text in (printed, (out / "scorecard.md").read_text()):
        opening = text.split("\n")[2]  # the verdict comes first, right under the title
        assert opening.startswith("**Verdict: all") and "gates pass" in opening
        assert "| no model | griffinlim |" in text and "## Skipped" in text and "vae+hifigan" in text
        assert "Model: none: the real AudioLDM2 weights" in text and "e+0" not in text
    page = (out / "scorecard.html").read_text()
    assert "<p><b>Verdict: all" in page and "none: the real AudioLDM2 weights" in page and "pass" in page
    assert page.index("Verdict") < page.index("Headline metrics") < page.index("<h2>Clips</h2>")
    assert page.count('<img src="figures/griffinlim/') == 3 and "no audio" in page  # --no-audio: no players


def test_scorecard_names_the_embedded_model_and_fails_gates_it_misses(
    no_real_weights, tmp_path, monkeypatch, capsys
):
    embedded = save_tiny_checkpoint(tmp_path / "embedded", vocoder=False)  # random weights: must fail
    monkeypatch.setattr(scorecard_module, "EMBEDDED_MODEL", embedded)
    out = tmp_path / "card"
    code = main(
        [
            "scorecard",
            "-o",
            str(out),
            "-m",
            "vae+griffinlim",
            "--no-audio",
            "--no-progress",
            "--clip",
            "speech_female_arctic_a0009",
            "--clip",
            "music_piano_ambi",
        ]
    )
    card = json.loads((out / "scorecard.json").read_text())
    assert "embedded reference models" in card["model"] and "NOT AudioLDM2's weights" in card["model"]
    assert code == 1 and card["gates_failed"] > 0
    printed = capsys.readouterr().out
    assert (
        card["clips"] == 2 and "gates FAIL** (vae+griffinlim)" in printed and "## What fell short" in printed
    )
    page = (out / "scorecard.html").read_text()
    assert "<span class=fail>FAIL</span>" in page and "short by" in page
    assert main(["scorecard", "-o", str(tmp_path / "x"), "--clip", "nope"]) == 2
    assert "unknown golden clip" in capsys.readouterr().err


def test_out_of_the_box_the_four_codec_paths_run_with_gates(monkeypatch, tmp_path):
    """No real weights: the embedded reference models (golden/reference) run every path, gated."""
    import huggingface_hub.constants as hub

    monkeypatch.setattr(hub, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "card"
    methods = ["griffinlim", "vae+griffinlim", "vae+hifigan", "copysynth"]
    code = main(
        [
            "scorecard",
            "-o",
            str(out),
            *[a for m in methods for a in ("-m", m)],
            "--no-audio",
            "--no-progress",
            "--no-report",
            "--clip",
            "speech_female_fullband_alsa_front_center",
            "--clip",
            "env_birds_opensoundscape",
            "--clip",
            "env_vinyl_hiss",
        ]
    )
    card = json.loads((out / "scorecard.json").read_text())
    assert "embedded reference models" in card["model"]
    for method in methods:
        row = card["methods"][method]
        assert row["status"] == "ran", (method, row)
        assert row["gates_total"] > 0 and row["gates_passed"] == row["gates_total"], (method, row)
    assert code == 0


def _rate_card(tmp_path, ladders) -> dict:
    """A scorecard's card without a run: one method row, and the rate report of synthetic ladders."""
    from evals.reports.rate_report import build_rate_report, to_json
    from evals.reports.rate_write import write_rate
    from tests.rate_records import ladder_records

    clips = ["speech_a", "speech_b", "music_c", "env_d"]
    report = write_rate(tmp_path, build_rate_report(ladder_records(clips, ladders), resamples=40))
    return {
        "created": "2026-01-01T00:00:00Z",
        "model": "synthetic",
        "clips": 4,
        "audio_seconds": 8.0,
        "device": "cpu",
        "baselines": [],
        "methods": {},
        "against_golden": {},
        "rate_apart": [],
        "rate": to_json(report),
    }


def test_the_scorecard_says_each_vae_familys_rate_and_bd_rate(tmp_path):
    from evals.reports.html import run_report
    from evals.reports.scorecard_page import scorecard_markdown, scorecard_preface

    ladders = {
        "opus:kbps={}": (1.0, [6, 12, 24, 48]),
        "vae+hifigan:bits={}": (2.0, [3, 6, 10, 16]),  # half the bits of Opus at equal quality
        "vae+griffinlim:bits={}": (0.25, [8, 12, 24]),  # 4 times the bits: Opus's range starts above it
        "vae+hifigan:quant={}": (2.0, [30, 60]),  # the container's fixed quantisations: no sentence
    }
    card = _rate_card(tmp_path, ladders)
    md = scorecard_markdown(card, [])
    opening = md.split("## ")[0]
    assert (
        "vae+hifigan at 9 kbit/s (bits=10, speech PESQ-WB 4): Opus reaches its speech PESQ-WB at "
        "18.0 kbit/s; BD-rate -50 % [-50 %, -50 %]." in opening  # payload rates: 0.9 of the files'
    )
    assert (
        "vae+griffinlim at 10.8 kbit/s (bits=12, speech PESQ-WB 2.1): Opus stays above it (from its lowest "
        "rate measured, 5.4 kbit/s); no BD-rate: ranges do not overlap." in opening
    )
    assert "vae+hifigan:quant" not in opening and "| vae+hifigan:quant |" not in md
    assert "## Rate and quality: BD-rate against Opus" in md
    assert "| vae+hifigan | log-mel L1 | -50 % [-50 %, -50 %] |" in md
    assert "![quality against kbit/s, one line per codec family](rate/rate_overview.png)" in md
    summary = {"created": card["created"], "environment": {"device": "cpu"}, "clips": [], "methods": {}}
    page = run_report(
        tmp_path, summary, page="scorecard.html", preface=scorecard_preface(card, [])
    ).read_text()
    first = page.index("<img ")
    assert page[first:].startswith('<img src="rate/rate_overview.png"') and (tmp_path / "rate").is_dir()
    assert page.index("Opus reaches") < first


def test_the_scorecard_without_rate_points_or_opus_says_so(tmp_path):
    from evals.reports.scorecard_page import scorecard_markdown

    card = _rate_card(tmp_path, {"vae+hifigan:bits={}": (1.0, [3, 6, 12])})
    md = scorecard_markdown(card, [])
    assert "vae+hifigan at 10.8 kbit/s (bits=12, speech PESQ-WB" in md and "no Opus points" in md
    assert "No BD-rate: the run has no opus points" in md
    assert "BD-rate" not in scorecard_markdown({**card, "rate": None}, [])


def test_the_rate_ladder_joins_the_default_methods(no_real_weights, tmp_path, monkeypatch):
    class Ran(Exception):
        pass

    def run(config):
        raise Ran(config.methods)

    monkeypatch.setattr(scorecard_module, "run", run)
    monkeypatch.setattr(scorecard_module, "RATE_LADDER", ("opus:kbps=6", "vae+hifigan:bits=3"))
    config = scorecard_module.RunConfig(outdir=tmp_path / "card", progress=False)
    with pytest.raises(Ran) as ran:
        scorecard_module.scorecard(config, clips=["env_vinyl_hiss"])
    methods = ran.value.args[0]
    assert list(methods[-2:]) == ["opus:kbps=6", "vae+hifigan:bits=3"] and "vae+hifigan:quant=int8" in methods


def test_the_default_scorecard_runs_the_ladder_not_the_codecs_defaults_and_leaves_out_visqol_audio(
    no_real_weights, tmp_path, monkeypatch
):
    from evals.methods.baseline_codecs import BASELINE_LADDER

    class Ran(Exception):
        pass

    def run(config):
        raise Ran(config)

    monkeypatch.setattr(scorecard_module, "run", run)
    seen = {}
    for full in (False, True):
        config = scorecard_module.RunConfig(outdir=tmp_path / f"card{full}", progress=False)
        with pytest.raises(Ran) as ran:
            scorecard_module.scorecard(config, clips=["env_vinyl_hiss"], full_ladder=full)
        seen[full] = ran.value.args[0]
    default, full = seen[False], seen[True]
    assert not {"opus", "mp3", "codec2", "aac"} & set(default.methods)  # only at the ladder's rates
    assert set(scorecard_module.RATE_LADDER) <= set(default.methods)
    assert set(BASELINE_LADDER) <= set(full.methods) and "vae+hifigan:bits=12" in full.methods
    assert "visqol_audio_16k" not in default.metrics and "visqol_speech" in default.metrics
    config = scorecard_module.RunConfig(outdir=tmp_path / "mine", progress=False, metrics=("snr",))
    with pytest.raises(Ran) as ran:
        scorecard_module.scorecard(config, clips=["env_vinyl_hiss"])
    assert ran.value.args[0].metrics == ("snr",)
