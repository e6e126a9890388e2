"""A small run with audio and ratings files as the listening page downloads them: shared by the
listening tests (test files import helpers, never each other)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import GOLDEN

CLIPS = [GOLDEN / "clips" / "speech_male_arctic_a0007.flac", GOLDEN / "clips" / "music_drums_amen.flac"]
METHODS = ["griffinlim", "griffinlim-64it"]
SCORES = {
    "hidden_reference": 100,
    "anchor_low": 15,
    "anchor_mid": 70,
    "griffinlim": 40,
    "griffinlim-64it": 60,
}


def make_run(root: Path) -> Path:
    """A run of two short golden clips and two cheap methods, with its audio (a few seconds)."""
    from evals.running.config import RunConfig
    from evals.running.runner import run

    run(
        RunConfig(
            outdir=root / "run",
            inputs=[str(c) for c in CLIPS],
            methods=METHODS,
            metrics=["log_mel_l1", "pesq_wb"],
            progress=False,
            jobs=1,
            report=False,
        )
    )
    return root / "run"


def ratings(layout: dict, listener: str, shift: float = 0.0) -> dict:
    """A ratings file as the page downloads it: every signal of every trial at SCORES + shift."""
    trials = {}
    for trial in [layout["training"], *layout["trials"]]:
        keys = [s["key"] for s in trial["signals"]]
        scores = {s["key"]: max(0.0, min(100.0, SCORES[s["condition"]] + shift)) for s in trial["signals"]}
        trials[trial["id"]] = {"signal_order": keys, "ratings": scores}
    return {
        "format": "evals-listening-ratings",
        "version": 1,
        "test_id": layout["test_id"],
        "listener": listener,
        "seed": 7,
        "complete": True,
        "trial_order": list(trials),
        "trials": trials,
    }
