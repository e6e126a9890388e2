"""Shared test helpers: named tolerances, real-recording loading, tensor comparison with a report, a run
of the golden set."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from evals.gating.golden_set import GOLDEN_DIR

GOLDEN = GOLDEN_DIR


def tiny_vocoder_training(monkeypatch):
    """training/vocoder.py set up for a few fast steps: (the module with tiny discriminators, for this
    test only, tiny vocoder overrides for `new_state`, two synthetic 2.5 s waves)."""
    from training import vocoder as trainer

    monkeypatch.setattr(trainer, "DISCRIMINATOR_WIDTH", 0.03)
    monkeypatch.setattr(trainer, "DISCRIMINATOR_SAMPLES", 2048)
    small = dict(upsample_initial_channel=32, resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1]])
    rng = np.random.default_rng(0)
    waves = [(0.1 * rng.standard_normal(40000)).astype(np.float32) for _ in range(2)]
    return trainer, small, waves


LOG_MEL_ATOL = 1e-3
"""Our float32 torch log-mel vs librosa's float64 reference, on bins within LOG_MEL_RANGE of the
clip's loudest bin (measured max 4e-5 on the examples; constant instead of reflect padding moves
edge frames by > 0.4, power instead of magnitude by > 3)."""

LOG_MEL_RANGE = 11.5
"""100 dB in natural-log magnitude units. Further below the peak, float32 STFT sums reach their
rounding floor (about 1e-7 of the peak energy): there the tolerance is LOG_MEL_QUIET_ATOL."""

LOG_MEL_QUIET_ATOL = 0.05

BATCH_ATOL = 1e-4
"""A clip processed in a batch vs alone (float32 conv reductions may differ in order)."""


def example_paths() -> list[Path]:
    """The committed real recordings (see golden/manifest.json)."""
    manifest = json.loads((GOLDEN / "manifest.json").read_text())
    return [GOLDEN / e["file"] for e in manifest["excerpts"]]


def read_example(name: str) -> tuple[np.ndarray, int]:
    """float32 `[C, N]` and the rate of a committed example, by file stem."""
    data, rate = sf.read(str(GOLDEN / "examples" / f"{name}.flac"), dtype="float32", always_2d=True)
    return np.ascontiguousarray(data.T), rate


def assert_close(actual, expected, atol: float, what: str) -> None:
    """Fails with where and by how much two arrays differ."""
    a = np.asarray(actual.detach().cpu() if isinstance(actual, torch.Tensor) else actual, np.float64)
    e = np.asarray(expected.detach().cpu() if isinstance(expected, torch.Tensor) else expected, np.float64)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    diff = np.abs(a - e)
    worst = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else ()
    assert diff.size == 0 or diff.max() <= atol, (
        f"{what}: max |diff| {diff.max():.3g} > atol {atol:g} at index {worst} "
        f"({a[worst]:.6g} vs {e[worst]:.6g}); {int((diff > atol).sum())} of {diff.size} over"
    )


def example_speech() -> np.ndarray:
    """The CMU ARCTIC example at 16 kHz mono, float64 `[N]` (the metric tests' reference)."""
    from codec.audio import to_mono_16k

    wave, rate = read_example("speech_male_arctic_a0007")
    return to_mono_16k(wave, rate).astype(np.float64)


def ok_metric_value(name: str, estimate, reference) -> float:
    """The registered metric `name` on the pair; fails the test unless its status is ok."""
    from evals.metrics import all_metrics
    from evals.result import OK, evaluate

    result = evaluate(all_metrics()[name], estimate, reference)
    assert result.status == OK, result
    return result.value


def golden_run(tmp_path_factory, methods: list[str], weights: str | None = None) -> tuple[list[dict], dict]:
    """`methods` over the golden clips with the cheap metrics, no audio saved: (records, run summary)."""
    from evals.gating.golden_set import golden_clips
    from evals.metrics import cheap_metrics
    from evals.records import read_records
    from evals.running.config import RunConfig
    from evals.running.runner import run

    out = tmp_path_factory.mktemp("golden-run") / "run"
    clips = [str(e["path"]) for e in golden_clips().values()]
    config = RunConfig(
        outdir=out,
        inputs=clips,
        methods=methods,
        weights=weights,
        metrics=cheap_metrics(),
        save_audio=False,
        jobs=2,
        progress=False,
    )
    summary = run(config)
    return read_records(out), summary


def playwright_chromium():
    """(playwright's `sync_playwright`, the system Chromium's path) for the browser tests; skips, saying
    how to install them, where either is missing."""
    import shutil

    import pytest

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("needs playwright: pip install -e '.[test]'")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("needs a Chromium: apt-get install chromium (Debian), as .ci/run does")
    return sync_playwright, chromium
