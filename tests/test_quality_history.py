"""`python -m evals history`: entries with provenance, a trend table and plot, and drift flagged
with compare's paired statistics; CI checks the golden run against the last committed entry."""

import json

import pytest

from evals.cli import main
from evals.reports.history import HISTORY_DIR, add, as_records, entries
from evals.run_folder import clips_file

CLIPS = ["music_drums_amen", "music_tabla_loop", "music_drums_pyo_drumloop", "speech_male_arctic_a0007"]


def fake_run(folder, log_mel):
    """A run folder with summary.json and clips.jsonl: griffinlim's log-mel L1 per clip."""
    folder.mkdir(parents=True)
    rows = [
        {
            "method": "griffinlim",
            "clip": c,
            "metrics": {"log_mel_l1": {"value": v, "status": "ok", "reason": ""}},
        }
        for c, v in zip(CLIPS, log_mel)
    ]
    clips_file(folder).write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = {
        "created": "2026-12-01T00:00:00+00:00",
        "environment": {"packages": {"torch": "x"}},
        "methods": {"griffinlim": {"status": "ran"}},
    }
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder


def test_entries_are_numbered_and_carry_provenance(tmp_path):
    history = tmp_path / "history"
    first = add(fake_run(tmp_path / "a", [0.2, 0.3, 0.25, 0.1]), history)
    second = add(fake_run(tmp_path / "b", [0.2, 0.3, 0.25, 0.1]), history)
    assert [p.name[:4] for p in entries(history)] == ["0001", "0002"] and first != second
    entry = json.loads(second.read_text())
    assert entry["commit"] and entry["dirty"] in (True, False) and entry["hardware"]
    assert entry["class_means"]["griffinlim"]["music_drums"]["log_mel_l1"] == pytest.approx(0.25)
    assert len(as_records(entry)) == len(CLIPS)


def test_drift_in_one_class_is_flagged_and_the_trend_is_drawn(tmp_path, capsys):
    history = tmp_path / "history"
    add(fake_run(tmp_path / "a", [0.2, 0.3, 0.25, 0.1]), history)
    add(fake_run(tmp_path / "b", [0.21, 0.3, 0.26, 0.1]), history)  # within tolerance 0.02
    assert main(["history", "--dir", str(history)]) == 0
    add(fake_run(tmp_path / "c", [0.25, 0.35, 0.30, 0.1]), history)  # the drums, each 0.05 worse
    out = tmp_path / "page"
    assert main(["history", "--dir", str(history), "-o", str(out)]) == 1
    text = capsys.readouterr().out
    assert "| griffinlim | log_mel_l1 | 0.212 | 0.217 | 0.25 |" in text
    assert "| griffinlim | log_mel_l1 | music_drums | 3 |" in text and "REGRESSED" in text
    assert (out / "trend.png").stat().st_size > 1000 and "<img src=trend.png" in (
        out / "history.html"
    ).read_text()
    assert main(["history", "--dir", str(history), "--against", "2"]) == 1


def test_bad_history_calls_are_clear_errors(tmp_path, capsys):
    assert main(["history", "--dir", str(tmp_path)]) == 2
    assert "no history entries" in capsys.readouterr().err
    assert main(["history", "frobnicate"]) == 2


def test_the_golden_run_has_not_drifted_from_the_last_committed_entry():
    """CI's check: the recorded golden values (what the golden tests hold the code to) against the
    newest committed history entry, paired per class."""
    from evals.gating.golden_set import GOLDEN_PATHS, GOLDEN_REFERENCE_PATHS, clip_classes, golden_records
    from evals.reports.compare_paired import paired_compare
    from evals.reports.history import drift  # noqa: F401 - the same statistics

    committed = entries(HISTORY_DIR)
    assert committed, f"no committed quality history in {HISTORY_DIR}: run `python -m evals history add RUN`"
    last = as_records(json.loads(committed[-1].read_text()))
    for method, tag in [(m, "") for m in GOLDEN_PATHS] + [(m, "reference") for m in GOLDEN_REFERENCE_PATHS]:
        mine = [r for r in last if r["method"] == method]
        assert mine, f"{method} is not in {committed[-1].name}"
        rows, _ = paired_compare(mine, golden_records(method, tag), clip_classes())
        bad = [(r.metric, r.clip_class, r.ci) for r in rows if r.verdict == "regressed"]
        assert not bad, f"{method} drifted from {committed[-1].name}: {bad}"
