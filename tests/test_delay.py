"""A method's delay is one number per method: frame-aligned methods are never shifted, a truly
delayed method is recovered exactly on every clip, and no shift makes a phase-blind metric worse."""

import numpy as np
import pytest

from evals.gating.golden_set import golden_clips
from evals.methods import METHODS, Method
from evals.metrics import all_metrics
from evals.records import read_records
from evals.running.config import RunConfig
from evals.running.runner import run
from tests.mutations import per_clip_shift

DELAYS = [1, 160, 800, 1120]
PHASE_BLIND = ["log_mel_l1", "mrstft", "lsd", "band_lsd_high", "band_retention_high"]
CHEAP = PHASE_BLIND + ["snr", "snr_raw", "stoi"]
TWIN_TOLERANCE_SCALE = 0.1
"""A delayed method scores like its undelayed twin, on the same overlap (the delayed output's last d
samples are gone), within a tenth of each metric's compare tolerance: it is the same pair."""


def _twin(delay: int):
    """Output = (input + white noise at 10 dB SNR, seeded per clip length), late by `delay` samples."""

    def build(root, device):
        def reconstruct(wave):
            rng = np.random.default_rng(len(wave))
            noisy = wave + rng.normal(0, np.sqrt(np.mean(wave**2) / 10), wave.shape).astype(np.float32)
            return np.concatenate([np.zeros(delay, np.float32), noisy])[: len(wave)]

        return reconstruct

    return build


TWINS = [Method(f"delayed-{d}", f"TEST: late by {d}, 10 dB SNR", (), _twin(d), delay=None) for d in DELAYS]
UNDELAYED = Method("delayed-0", "TEST: 10 dB SNR, no delay", (), _twin(0), delay=0)


@pytest.fixture(scope="module")
def twin_rows(tmp_path_factory, temporary_methods):
    temporary_methods(*TWINS)
    out = tmp_path_factory.mktemp("twins") / "run"
    summary = run(
        RunConfig(
            outdir=out,
            inputs=[str(e["path"]) for e in golden_clips().values()],
            methods=[m.name for m in TWINS],
            save_audio=False,
            jobs=2,
            progress=False,
            metrics=CHEAP,
        )
    )
    return read_records(out), summary


@pytest.mark.parametrize("delay", DELAYS)
def test_a_known_delay_is_recovered_exactly_on_every_clip(twin_rows, delay):
    rows, summary = twin_rows
    info = summary["methods"][f"delayed-{delay}"]
    assert info["delay"]["samples"] == delay and info["delay"]["source"] == "calibrated", info["delay"]
    mine = [r for r in rows if r["method"] == f"delayed-{delay}"]
    assert len(mine) == len(golden_clips())
    for row in mine:
        assert row["delay_samples"] == delay and row["lag_estimate"] == delay and not row["lag_disagrees"], (
            row
        )


def _reference(clip_id: str) -> np.ndarray:
    from codec.audio import to_mono_16k
    from codec.audio_files import read_audio

    return to_mono_16k(*read_audio(golden_clips()[clip_id]["path"]))


@pytest.mark.parametrize("delay", DELAYS)
def test_a_delayed_method_scores_like_its_undelayed_twin(twin_rows, delay):
    from evals.running.scoring import score_pair

    rows, _ = twin_rows
    registry = all_metrics()
    checked = 0
    for row in (r for r in rows if r["method"] == f"delayed-{delay}"):
        reference = _reference(row["clip"])
        overlap = len(reference) - delay
        twin = _twin(0)(None, "cpu")(reference)[:overlap]
        base = score_pair(twin, reference[:overlap], 0, tuple(PHASE_BLIND + ["snr"])).metrics
        for name in PHASE_BLIND + ["snr"]:
            if row["metrics"][name]["reason"]:  # kept the unshifted value: better, tested below
                continue
            got, want = row["metrics"][name]["value"], base[name].value
            tol = TWIN_TOLERANCE_SCALE * registry[name].tolerance
            assert abs(got - want) <= tol, (
                f"{row['clip']} {name}: {got} vs undelayed {want} (tolerance {tol})"
            )
            checked += 1
    assert checked >= len(golden_clips()) * 3, f"only {checked} values were scored on the shifted pair"


@pytest.mark.parametrize("delay", DELAYS)
def test_the_shift_never_makes_a_phase_blind_metric_worse(twin_rows, delay):
    """Each delayed record, re-scored unshifted, is no better on any phase-blind metric."""
    from evals.running.scoring import score_pair

    rows, _ = twin_rows
    registry = all_metrics()
    for row in (r for r in rows if r["method"] == f"delayed-{delay}"):
        reference = _reference(row["clip"])
        unshifted = score_pair(_twin(delay)(None, "cpu")(reference), reference, 0, tuple(PHASE_BLIND)).metrics
        for name in PHASE_BLIND:
            got, base = row["metrics"][name]["value"], unshifted[name].value
            if name.startswith("band_retention_"):
                got, base = -abs(got - 100), -abs(base - 100)
            elif not registry[name].higher_is_better:
                got, base = -got, -base
            assert got >= base, (row["clip"], name, row["metrics"][name], unshifted[name])


def frame_aligned_violations(rows: list[dict]) -> list[str]:
    """Records of frame-aligned methods that were shifted: the aligned SNR differs from the raw SNR
    (they are the same number exactly when the pair is scored unshifted)."""
    bad = []
    for row in rows:
        if METHODS.get(row["method"].split(":")[0], UNDELAYED).delay != 0:
            continue
        aligned, raw = row["metrics"]["snr"], row["metrics"]["snr_raw"]
        if row["delay_samples"] != 0 or aligned["value"] != raw["value"]:
            bad.append(
                f"{row['method']} / {row['clip']}: delay {row['delay_samples']}, "
                f"snr {aligned['value']} vs raw {raw['value']} (lag estimate {row['lag_estimate']})"
            )
    return bad


def _griffinlim_rows(tmp_path, monkeypatch=None):
    out = tmp_path / "run"
    run(
        RunConfig(
            outdir=out,
            inputs=[str(e["path"]) for e in golden_clips().values()],
            methods=["griffinlim"],
            save_audio=False,
            jobs=1,
            progress=False,
            metrics=["snr", "snr_raw", "log_mel_l1"],
        )
    )
    return read_records(out)


def test_no_golden_clip_through_a_frame_aligned_method_is_shifted(tmp_path):
    rows = _griffinlim_rows(tmp_path)
    assert len(rows) == len(golden_clips())
    assert not frame_aligned_violations(rows), "\n".join(frame_aligned_violations(rows))


def test_the_old_per_clip_alignment_is_caught_and_made_log_mel_worse(tmp_path, monkeypatch):
    """Mutation: put the per-clip cross-correlation shift back; the check above must fail, and the
    shifted clips' log-mel L1 must be worse than their unshifted twins' (the bias it introduced)."""
    honest = {r["clip"]: r for r in _griffinlim_rows(tmp_path / "honest")}
    monkeypatch.setattr("evals.running.scoring.shift", per_clip_shift)
    mutated = _griffinlim_rows(tmp_path / "mutated")
    violations = frame_aligned_violations(mutated)
    assert len(violations) >= 3, violations
    shifted = [r for r in mutated if r["metrics"]["snr"]["value"] != r["metrics"]["snr_raw"]["value"]]
    worse = [
        r
        for r in shifted
        if r["metrics"]["log_mel_l1"]["value"] > honest[r["clip"]]["metrics"]["log_mel_l1"]["value"]
    ]
    assert len(worse) == len(shifted), "a per-clip shift should make log-mel L1 worse on a phase-free method"


LONGER = Method(
    "longer-by-1024", "TEST: late by 1024 and 1024 samples longer than its input", (), None, delay=None
)


def _longer(root, device):
    return lambda wave: np.concatenate([np.zeros(1024, np.float32), wave, np.zeros(1000, np.float32)])


def test_an_output_longer_than_its_input_is_scored_and_drawn_on_the_aligned_pair(tmp_path, temporary_methods):
    """A real codec returns its whole decoded file (AAC: 1024 samples of start-up delay more): the
    metrics and the clip's figure both see the pair shifted back by the delay, cut to the common length."""
    import dataclasses

    from evals.run_folder import figure_path

    method = dataclasses.replace(LONGER, build=_longer)
    temporary_methods(method)
    clip = next(iter(golden_clips().values()))["path"]
    run(
        RunConfig(
            outdir=tmp_path / "run",
            inputs=[str(clip)],
            methods=[method.name],
            save_audio=False,
            jobs=1,
            progress=False,
            metrics=["log_mel_l1"],
            report=True,
        )
    )
    (row,) = read_records(tmp_path / "run")
    assert row["status"] == "ok" and row["delay_samples"] == 1024, row
    assert row["metrics"]["log_mel_l1"]["value"] < 1e-4, row  # the identical signal, once aligned
    assert figure_path(tmp_path / "run", method.name, row["clip"]).is_file()
