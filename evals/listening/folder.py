"""The layout of a test folder: every file name in it, for the stages that write it and read it, and
the one rule for replacing what is there. Nothing else spells these names.

    DIR/index.html            the page (script and style inline)
    DIR/stimuli/cNN.js        each clip's WAVs, base64
    DIR/test.json             the layout (`evals.listening.layout`)
    DIR/listening.md, .json   the analysis of the ratings
    DIR/listening-figures/    its box plots

`listen` refuses a folder holding any of these (the analysis too: it would describe another test)
unless `--force`, which removes exactly these; `listening` refuses one holding an analysis unless
`--force`, which removes the analysis only.
"""

from __future__ import annotations

import shutil
from pathlib import Path

PAGE_FILE = "index.html"
STIMULI_DIR = "stimuli"
LAYOUT_FILE = "test.json"
MD_FILE = "listening.md"
JSON_FILE = "listening.json"
FIGURES_DIR = "listening-figures"
ANALYSIS_OUTPUTS = (MD_FILE, JSON_FILE, FIGURES_DIR)
TEST_OUTPUTS = (PAGE_FILE, LAYOUT_FILE, STIMULI_DIR, *ANALYSIS_OUTPUTS)
RESULTS_FORMAT = "evals-listening-ratings"
"""The `format` of a listener's downloaded ratings (the page writes it, evals/listening/results.py
reads it)."""


class ListeningError(Exception):
    """Bad input to `listen` or `listening`: one line saying what and what to do."""


def clear(folder: Path, names: tuple[str, ...], force: bool, advice: str) -> None:
    """Raises `ListeningError` (naming the first one, and `advice`) when `folder` holds any of `names`
    and not `force`; with `force`, removes them, and nothing else."""
    present = [folder / name for name in names if (folder / name).exists() or (folder / name).is_symlink()]
    if present and not force:
        raise ListeningError(f"{present[0]} exists; {advice}")
    for path in present:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
