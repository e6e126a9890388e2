"""The benchmark history runner: per-hardware folders, and the median regression check."""

from __future__ import annotations

import json

from tests.benchmarks.__main__ import compare, headline, saved_runs
from tests.benchmarks.machine import hardware_key


def _run(path, medians: dict[str, float], extra: dict | None = None):
    benchmarks = [
        {"name": n.split("::")[-1], "fullname": n, "stats": {"median": m}, "extra_info": extra or {}}
        for n, m in medians.items()
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"benchmarks": benchmarks, "machine_info": {}}))
    return path


def test_a_median_beyond_the_limit_fails_and_one_within_passes(tmp_path):
    old = _run(tmp_path / "0001_a.json", {"t::fast": 1.0, "t::slow": 1.0, "t::gone": 1.0})
    new = _run(tmp_path / "0002_b.json", {"t::fast": 1.2, "t::slow": 1.3, "t::added": 1.0})
    table, slower = compare(old, new, fail_over=25)
    assert slower == ["t::slow"]
    assert "| +30 % **slower** |" in table and "| +20 % |" in table
    assert "not run" in table and "new" in table


def test_runs_are_ordered_by_their_number(tmp_path):
    for name in ("0010_x.json", "0002_y.json", "0001_z.json"):
        _run(tmp_path / "Linux" / name, {"t::a": 1.0})
    assert [p.name for p in saved_runs(tmp_path)] == ["0001_z.json", "0002_y.json", "0010_x.json"]


def test_headline_reports_the_codec_against_the_plain_calls(tmp_path):
    run = _run(
        tmp_path / "0001.json",
        {"test_stage[cpu-float32-b1-round_trip]": 2.0},
        extra={"x_real_time": 5.0, "gflop_per_s": 100.0, "fraction_of_ceiling": 0.5},
    )
    data = json.loads(run.read_text())
    data["benchmarks"].append(
        {
            "name": "test_round_trip_speedup_over_plain_calls",
            "fullname": "s",
            "stats": {"median": 5.0},
            "extra_info": {"codec_median_s": 2.0, "plain_median_s": 3.0, "speedup": 1.5},
        }
    )
    run.write_text(json.dumps(data))
    text = headline(run)
    assert "1.5x" in text and "| 50 % |" in text


def test_the_hardware_key_is_a_safe_folder_name_that_names_the_gpu():
    import torch

    key = hardware_key()
    assert key and not set(key) & set("/ (:@")
    assert key.endswith("nogpu") != torch.cuda.is_available()
