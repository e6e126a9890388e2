"""Rate-quality in the runner: the bitrate comes from the container's bytes, and the sweep expands."""

from __future__ import annotations

import pytest

from evals.methods import rate_sweep
from evals.reports.markdown import rate_quality_table
from tests.helpers import GOLDEN

CLIPS = [GOLDEN / "clips" / "speech_male_arctic_a0007.flac", GOLDEN / "clips" / "music_drums_amen.flac"]
WEIGHTS = str(GOLDEN / "reference")


def test_the_sweep_expands_only_methods_with_a_container():
    assert rate_sweep(["griffinlim", "vae+griffinlim:griffinlim_iters=8"]) == [
        "griffinlim",
        "vae+griffinlim:quant=float32,griffinlim_iters=8",
        "vae+griffinlim:quant=float16,griffinlim_iters=8",
        "vae+griffinlim:quant=int8,griffinlim_iters=8",
    ]


def test_bitrates_are_the_bytes_of_the_containers_written(tmp_path):
    from codec.audio import to_mono_16k
    from codec.audio_files import read_audio
    from codec.pipeline import Codec
    from evals.records import read_records
    from evals.running.config import RunConfig
    from evals.running.runner import run

    summary = run(
        RunConfig(
            outdir=tmp_path / "r",
            inputs=[str(c) for c in CLIPS],
            methods=["vae+griffinlim", "vae+griffinlim:quant=int8,entropy=lzma"],
            weights=WEIGHTS,
            save_audio=False,
            progress=False,
            jobs=1,
        )
    )
    rows = read_records(tmp_path / "r")
    codec = Codec.from_pretrained(WEIGHTS, vocoder="griffinlim", device="cpu")
    expected = {}
    for clip in CLIPS:
        wave = to_mono_16k(*read_audio(clip))
        expected[clip.stem] = len(codec.pack(codec.encode(wave, 16000), quantisation="int8", entropy="lzma"))
    coded = {r["clip"]: r["container_bytes"] for r in rows if r["method"].endswith("lzma")}
    assert coded == expected
    assert all(r["container_bytes"] is None for r in rows if r["method"] == "vae+griffinlim")
    rate = summary["methods"]["vae+griffinlim:quant=int8,entropy=lzma"]["bitrate"]
    seconds = sum(c["seconds"] for c in summary["clips"])
    assert rate["bytes"] == sum(expected.values())
    assert rate["kbps"] == pytest.approx(8 * sum(expected.values()) / seconds / 1000)
    assert summary["methods"]["vae+griffinlim"]["bitrate"] is None
    table = rate_quality_table(summary)
    assert "| vae+griffinlim:quant=int8,entropy=lzma |" in table and "vae+griffinlim |" not in table


def test_a_bad_quantisation_is_skipped_with_the_reason(tmp_path):
    from evals.running.config import RunConfig
    from evals.running.runner import run

    summary = run(
        RunConfig(
            outdir=tmp_path / "r",
            inputs=[str(CLIPS[0])],
            methods=["vae+griffinlim:quant=int4"],
            weights=WEIGHTS,
            save_audio=False,
            progress=False,
            jobs=1,
        )
    )
    info = summary["methods"]["vae+griffinlim:quant=int4"]
    assert info["status"] == "skipped" and "quant must be none or one of" in info["reason"]


def test_settings_are_told_apart_only_when_the_paired_interval_excludes_zero():
    from evals.reports.rate_apart import rate_apart, rate_apart_items

    def rows(quant, shift):
        return [
            {
                "method": f"vae+hifigan:quant={quant}",
                "clip": f"c{i}",
                "metrics": {
                    "log_mel_l1": {"status": "ok", "value": 0.3 + 0.01 * i + shift(i)},
                    "pesq_wb": {"status": "ok", "value": 2.0},
                },
            }
            for i in range(8)
        ]

    records = (
        rows("float32", lambda i: 0.0)
        + rows("float16", lambda i: 0.001 * (-1) ** i + 0.0002)
        + rows("int8", lambda i: 0.02 + 0.001 * i)
    )
    results = {(r["setting"], r["metric"]): r for r in rate_apart(records)}
    assert not results[("float16", "log_mel_l1")]["apart"] and results[("int8", "log_mel_l1")]["apart"]
    assert not results[("int8", "pesq_wb")]["apart"]
    lines = rate_apart_items(rate_apart(records))
    assert lines[0].startswith("vae+hifigan float16 vs float32 (n 8 clips): not told apart")
    assert (
        "told apart on 1 of 2 metrics: log_mel_l1 +0.0235 (worse by [" in lines[1]
        and "past its tolerance" in lines[1]
    )
    # float32 is lossless: without its rows, the unquantised method's stand for them (as the scorecard runs)
    unquantised = [{**r, "method": "vae+hifigan"} for r in rows("float32", lambda i: 0.0)]
    alone = {(r["setting"], r["metric"]): r for r in rate_apart(unquantised + records[len(unquantised) :])}
    assert alone == results
    better = rows("float32", lambda i: 0.0) + rows("int8", lambda i: -0.02 - 0.001 * i)
    line = rate_apart_items(rate_apart(better))[0]
    assert "log_mel_l1 -0.0235 (better by [0.0" in line and "worse" not in line, line
