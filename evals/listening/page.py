"""Writes a test folder: index.html (the page, its script and style inline), stimuli/cNN.js (each
clip's WAVs, base64, loaded with <script src>, which a page opened from disk may do where fetch() may
not) and test.json (the layout). Nothing else is written, and nothing is replaced without `force`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict
from pathlib import Path

from evals.listening.folder import LAYOUT_FILE, PAGE_FILE, RESULTS_FORMAT, STIMULI_DIR, TEST_OUTPUTS, clear
from evals.listening.layout import Layout, Trial, to_json
from evals.listening.stimuli import Stimuli

MINUTES_PER_TRIAL = 1.5
"""The page's estimate of the time a trial takes (listening to each signal a few times, rating it)."""


def stimuli_script(name: str, audio: dict[str, bytes]) -> str:
    """stimuli/NAME.js: registers the clip's WAVs (base64, by SHA-256) on `window.MUSHRA_STIMULI`."""
    data = {sha: base64.b64encode(wav).decode("ascii") for sha, wav in audio.items()}
    return (
        "window.MUSHRA_STIMULI = window.MUSHRA_STIMULI || {};\n"
        f"window.MUSHRA_STIMULI[{json.dumps(name)}] = {json.dumps(data)};\n"
    )


def _page_trial(trial: Trial) -> dict:
    """What the page knows of a trial: keys and hashes, no condition names (the test stays blind)."""
    return {
        "id": trial.id,
        "block": trial.block,
        "stimuli": trial.stimuli,
        "reference": trial.reference.sha256,
        "signals": [{"key": s.key, "sha256": s.sha256} for s in trial.signals],
    }


def page_data(layout: Layout) -> dict:
    """The page's data (JSON inside the page)."""
    return {
        "test_id": layout.test_id,
        "results_format": RESULTS_FORMAT,
        "blocks": len(layout.blocks),
        "training": _page_trial(layout.training),
        "trials": [_page_trial(t) for t in layout.trials],
        "notes": list(layout.notes),
    }


def write_test(stimuli: Stimuli, folder: str | Path, force: bool = False) -> Path:
    """Writes the test into `folder` (created); returns the page's path."""
    from evals.reports.pages import render
    from evals.run_folder import write_atomic

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    advice = f"pass --force to replace the test in {folder} (and its analysis), or pick another -o"
    clear(folder, TEST_OUTPUTS, force, advice)
    layout = stimuli.layout
    (folder / STIMULI_DIR).mkdir()
    for name, audio in stimuli.audio.items():
        write_atomic(folder / STIMULI_DIR / f"{name}.js", stimuli_script(name, audio))
    write_atomic(folder / LAYOUT_FILE, json.dumps(to_json(layout), indent=1) + "\n")
    page = folder / PAGE_FILE
    minutes = round(MINUTES_PER_TRIAL * (len(layout.trials) + 1))
    html = render("listening.html.j2", data=page_data(layout), layout=asdict(layout), minutes=minutes)
    write_atomic(page, html)
    return page
