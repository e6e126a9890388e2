"""clips.jsonl's one rule, in every reader: a last line cut short is dropped with a warning, any other
damaged line is an error naming file:line, and of two records with one (method, clip) key the last
one wins (summary, resume, compare). The writer keeps the historical byte format."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from evals.records import DamagedRecords, RecordLog, TornRecordWarning, keep_ok_records, read_records
from evals.reports.compare_paired import load_records
from evals.result import MetricResult
from evals.run_folder import clips_file
from evals.running.config import RunConfig
from evals.running.inputs import ClipRef
from evals.running.jobs import ClipJob, Record
from evals.running.run_info import RunInfo, write_run
from evals.running.summarize import build_summary, run_records
from tests.helpers import GOLDEN

SPEECH = GOLDEN / "examples" / "speech_male_arctic_a0007.flac"


def _record(clip: str, status: str = "ok", value: float = 1.0, method: str = "m") -> dict:
    metric = {
        "value": value if status == "ok" else None,
        "status": status,
        "reason": "" if status == "ok" else "x",
    }
    return {
        "clip": clip,
        "path": f"{clip}.wav",
        "method": method,
        "weights_sha256": None,
        "seconds": 1.0,
        "status": status,
        "reason": "" if status == "ok" else "x",
        "reconstruct_seconds": 0.1,
        "container_bytes": None,
        "kbps": None,
        "delay_samples": 0,
        "lag_estimate": 0,
        "lag_peak": 1.0,
        "lag_disagrees": False,
        "metrics": {"snr_raw": metric},
    }


def _write(path, records, tail: str = "") -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + tail)


def test_a_torn_last_line_is_dropped_with_a_warning(tmp_path):
    path = clips_file(tmp_path)
    _write(path, [_record("a"), _record("b")], tail='{"clip": "c", "meth')
    with pytest.warns(TornRecordWarning, match=r"clips.jsonl:3: dropped the last line"):
        assert [r["clip"] for r in read_records(tmp_path)] == ["a", "b"]


def test_a_complete_last_line_without_its_newline_is_still_the_write_in_flight(tmp_path):
    path = clips_file(tmp_path)
    _write(path, [_record("a")], tail=json.dumps(_record("b")))
    with pytest.warns(TornRecordWarning):
        assert [r["clip"] for r in read_records(path)] == ["a"]


def test_a_damaged_line_before_the_last_names_file_and_line(tmp_path):
    path = clips_file(tmp_path)
    path.write_text(json.dumps(_record("a")) + "\nnot json\n" + json.dumps(_record("b")) + "\n")
    with pytest.raises(
        DamagedRecords, match=r"clips.jsonl:2 is not a JSON record .*delete this line.*--resume"
    ):
        read_records(tmp_path)
    with pytest.raises(DamagedRecords, match=r"clips.jsonl:2"):
        load_records(tmp_path)  # compare reads with the same rule


def test_a_line_without_a_required_field_names_the_field(tmp_path):
    path = clips_file(tmp_path)
    broken = {k: v for k, v in _record("b").items() if k != "metrics"}
    _write(path, [_record("a"), broken, _record("c")])
    with pytest.raises(DamagedRecords, match=r"clips.jsonl:2 is not a record: it lacks metrics"):
        read_records(path)
    path.write_text("[1, 2]\n")
    with pytest.raises(
        DamagedRecords, match=r"clips.jsonl:1 is not a record: it lacks method, clip, metrics"
    ):
        read_records(path)


def test_the_last_record_of_a_key_wins_in_the_reader_and_in_compare(tmp_path):
    _write(
        clips_file(tmp_path),
        [_record("a", value=1.0), _record("b"), _record("a", value=2.0), _record("a", method="other")],
    )
    records = read_records(tmp_path)
    assert [(r["method"], r["clip"]) for r in records] == [("m", "b"), ("m", "a"), ("other", "a")]
    assert records[1]["metrics"]["snr_raw"]["value"] == 2.0
    assert load_records(tmp_path) == records


def test_the_last_record_of_a_key_wins_in_the_summary(tmp_path):
    config = RunConfig(outdir=tmp_path, inputs=["a.wav", "b.wav"], methods=["m"], metrics=["snr_raw"])
    clips = [ClipRef("a", "a.wav"), ClipRef("b", "b.wav")]
    write_run(tmp_path, RunInfo.create(config, clips, "in-process", {"m": {"status": "ran"}}))
    _write(clips_file(tmp_path), [_record("a", "error"), _record("b", value=3.0), _record("a", value=1.0)])
    rows = run_records(tmp_path)
    assert [r["clip"] for r in rows] == ["a", "b"]  # in the run's clip order
    info = build_summary(RunInfo.create(config, clips, "in-process", {"m": {"status": "ran"}}), rows)[
        "methods"
    ]["m"]
    assert info["n_clips_failed"] == 0 and info["n_clips_missing"] == 0
    assert info["metrics"]["snr_raw"]["n_ok"] == 2 and info["metrics"]["snr_raw"]["mean"] == pytest.approx(
        2.0
    )


def test_resume_keeps_the_last_record_of_each_key_when_it_is_ok(tmp_path):
    path = clips_file(tmp_path)
    ok_then_error, error_then_ok = (
        [_record("a"), _record("a", "error")],
        [_record("b", "error"), _record("b")],
    )
    _write(
        path,
        [*ok_then_error, *error_then_ok, _record("c", value=1.0), _record("c", value=2.0)],
        tail='{"clip": "d"',
    )
    with pytest.warns(TornRecordWarning):
        kept = keep_ok_records(path)
    assert list(kept) == [("m", "b"), ("m", "c")]
    assert path.read_text() == "".join(json.dumps(r) + "\n" for r in (_record("b"), _record("c", value=2.0)))


def test_a_resumed_run_redoes_a_clip_whose_last_record_failed(tmp_path):
    from evals.running.runner import run

    config = RunConfig(
        outdir=tmp_path / "run",
        inputs=[str(SPEECH)],
        methods=["griffinlim:n_iter=1"],
        metrics=["snr_raw"],
        save_audio=False,
        progress=False,
        engine="in-process",
    )
    run(config)
    (first,) = read_records(config.outdir)
    later = {**first, "status": "error", "reason": "a later failure"}
    with open(clips_file(config.outdir), "a") as f:
        f.write(json.dumps(later) + "\n")
    assert run_records(config.outdir)[0]["status"] == "error"  # the summary sees the last one
    run(replace(config, resume=True))
    lines = clips_file(config.outdir).read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["status"] == "ok"


def test_the_writer_keeps_the_historical_line_format(tmp_path):
    job = ClipJob(
        ClipRef("x", "/in/x.flac"),
        "est",
        None,
        100,
        {
            "estimate_path": "e/x.wav",
            "estimate_rate": 16000,
            "estimate_channels": 1,
            "length_difference_samples": 100,
            "reference_rate": 44100,
        },
    )
    record = Record(
        job=job,
        seconds=3.0,
        status="ok",
        reason="",
        reconstruct_seconds=0.0,
        container_bytes=None,
        kbps=None,
        delay_samples=100,
        lag_estimate=100,
        lag_peak=0.5,
        lag_disagrees=False,
        metrics={"snr_raw": MetricResult(-2.5, "ok"), "stoi": MetricResult(float("nan"), "skipped", "s")},
    )
    with RecordLog(clips_file(tmp_path)) as log:
        log.append(record.to_json())
    assert clips_file(tmp_path).read_text() == (
        '{"clip": "x", "path": "/in/x.flac", "method": "est", "weights_sha256": null, '
        '"estimate_path": "e/x.wav", "estimate_rate": 16000, "estimate_channels": 1, '
        '"length_difference_samples": 100, "reference_rate": 44100, '
        '"seconds": 3.0, "status": "ok", "reason": "", "reconstruct_seconds": 0.0, "container_bytes": null, '
        '"kbps": null, "payload_bytes": null, "payload_kbps": null, "nominal_kbps": null, '
        '"bandwidth_hz": null, "delay_samples": 100, '
        '"lag_estimate": 100, "lag_peak": 0.5, "lag_disagrees": false, '
        '"metrics": {"snr_raw": {"value": -2.5, "status": "ok", "reason": ""}, '
        '"stoi": {"value": null, "status": "skipped", "reason": "s"}}}\n'
    )
