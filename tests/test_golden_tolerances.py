"""Golden tolerances come from noise measured on every kernel path a CI machine may take (issue 32).

The rules themselves (tests/golden_values.py): a metric that is chaotic per clip is compared on
class means, the others clip by clip; the noise file records each MKL branch, run or not and why;
and the Intel-dispatch shim really makes MKL take the branch it is asked for.
"""

from __future__ import annotations

import json

import pytest

from evals.gating.golden_set import (
    GOLDEN_GRID,
    GOLDEN_PATHS,
    GOLDEN_REFERENCE_PATHS,
    NOISE_FILE,
    clip_classes,
)
from evals.metrics import all_metrics
from scripts import measure_noise
from scripts.kernel_paths import mkl_branch_in_effect, resolve
from tests import golden_values

MKL_PERTURBATIONS = ("mkl-compatible", "mkl-sse4_2", "mkl-avx2", "mkl-avx512", "mkl-avx512_e1")


def noise(**per_clip_spreads) -> dict:
    return {"per_clip": per_clip_spreads, "per_class": {name: v / 4 for name, v in per_clip_spreads.items()}}


def test_a_chaotic_metric_is_compared_on_class_means_and_the_others_per_clip():
    pesq_tolerance = all_metrics()["pesq_wb"].tolerance
    chosen = golden_values.comparison(noise(pesq_wb=pesq_tolerance, log_mel_l1=1e-7))
    assert chosen["pesq_wb"] == ("class", golden_values.NOISE_MARGIN * pesq_tolerance / 4)
    level, tolerance = chosen["log_mel_l1"]
    assert (
        level == "clip" and tolerance == golden_values.FLOOR_FRACTION * all_metrics()["log_mel_l1"].tolerance
    )


def fake_golden(monkeypatch, tmp_path, spreads: dict, values: dict) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"values": values}))
    monkeypatch.setattr(golden_values, "golden_path", lambda method, tag="": path)
    monkeypatch.setattr(golden_values, "noise_entry", lambda method: noise(**spreads))


def rows_of(values: dict) -> list[dict]:
    return [{"method": "m", "clip": clip, "metrics": metrics} for clip, metrics in values.items()]


def two_clips_of_one_class(pesq: tuple[float, float], l1: tuple[float, float]) -> dict:
    clips = [c for c, cls in clip_classes().items() if cls == "speech_male"][:2]
    return {
        clip: {"pesq_wb": {"value": p, "status": "ok"}, "log_mel_l1": {"value": m, "status": "ok"}}
        for clip, p, m in zip(clips, pesq, l1, strict=True)
    }


def test_a_chaotic_metric_may_move_per_clip_when_its_class_mean_holds(monkeypatch, tmp_path):
    recorded = two_clips_of_one_class((1.05, 1.10), (0.5, 0.6))
    fake_golden(monkeypatch, tmp_path, {"pesq_wb": 0.008, "log_mel_l1": 1e-7}, recorded)
    swapped = two_clips_of_one_class((1.06, 1.09), (0.5, 0.6))  # each clip moved by 0.01, mean unchanged
    assert golden_values.golden_differences("m", rows_of(swapped)) == []
    shifted = two_clips_of_one_class((1.06, 1.11), (0.5, 0.6))  # the mean moved by 0.01 > 3 x 0.002
    problems = golden_values.golden_differences("m", rows_of(shifted))
    assert len(problems) == 2 and "class speech_male mean pesq_wb" in problems[1]
    assert "per class mean: pesq_wb" in problems[0]


def test_a_deterministic_metric_is_still_held_clip_by_clip(monkeypatch, tmp_path):
    recorded = two_clips_of_one_class((1.05, 1.10), (0.5, 0.6))
    fake_golden(monkeypatch, tmp_path, {"pesq_wb": 0.008, "log_mel_l1": 1e-7}, recorded)
    moved = two_clips_of_one_class((1.05, 1.10), (0.51, 0.59))  # class mean unchanged, each clip 0.01 off
    problems = golden_values.golden_differences("m", rows_of(moved))
    assert len(problems) == 3 and all("log_mel_l1" in p for p in problems[1:])


def test_the_noise_file_names_every_mkl_branch_and_whether_it_ran():
    data = json.loads(NOISE_FILE.read_text())
    planned = measure_noise.PERTURBATIONS
    assert set(planned) <= set(data["perturbations"]), (
        "perturbations changed: python -m scripts.measure_noise"
    )
    for label in MKL_PERTURBATIONS:
        entry = data["perturbations"][label]
        assert entry["how"], label
        if entry["ran"]:
            assert entry["mkl_branch"] == entry["env"]["MKL_CBWR"], f"{label} ran MKL's {entry['mkl_branch']}"
    for method in GOLDEN_PATHS + GOLDEN_GRID + GOLDEN_REFERENCE_PATHS:
        measured = data["measured"][method]
        ran = {label for label in MKL_PERTURBATIONS if data["perturbations"][label]["ran"]}
        assert ran <= set(measured["perturbations"]), (
            f"{method}: measured without {ran - set(measured['perturbations'])}"
        )
        assert "mkl-avx2" in measured["perturbations"] and "mkl-avx512" in measured["perturbations"], (
            f"{method}'s noise was measured where MKL's AVX2/AVX-512 branches could not run: "
            f"{measured['machine']}"
        )


@pytest.mark.parametrize("branch", ["AVX2", "AVX512"])
def test_mkl_runs_the_branch_it_is_told_to_on_this_cpu(branch):
    setting = resolve({"MKL_CBWR": branch})
    if not setting.runnable:
        pytest.skip(setting.note)
    assert mkl_branch_in_effect(setting.env) == branch, setting.note
