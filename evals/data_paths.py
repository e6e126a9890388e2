"""Where the golden data is: the one locator of the golden set, its values, gates, noise, history and
the embedded reference models.

Looked for in this order:
1. an explicit folder: the environment variable AUDIOLDM2_GOLDEN_DIR (the CLI's `--golden-dir` sets it);
2. a source checkout (the repository's `golden/` beside `evals/`; an editable install is one), so that
   `pytest --update-golden` and `python -m evals gates` write into the repository;
3. the package data of an installed wheel (`evals/golden/`, built from the repository's `golden/`; see
   pyproject.toml).
Nothing here reads a file: the folder is found by its `manifest.json`.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "AUDIOLDM2_GOLDEN_DIR"
PACKAGE_DIR = Path(__file__).resolve().parent
INSTALLED_GOLDEN = PACKAGE_DIR / "golden"
"""Where a wheel puts the repository's golden/ (package data of `evals.golden`)."""


class GoldenDataNotFound(FileNotFoundError):
    """Neither an explicit golden folder nor the installed (or checked-out) one was found."""


def source_checkout() -> Path | None:
    """The repository root when `evals` is imported from a source checkout (or an editable install),
    None when it is installed (e.g. from a wheel)."""
    root = PACKAGE_DIR.parent
    checkout = (root / "pyproject.toml").is_file() and (root / "golden" / "manifest.json").is_file()
    return root if checkout else None


def golden_dir() -> Path:
    """The golden folder (holding manifest.json, clips/, values/, gates.json, noise.json, history/,
    reference/); raises GoldenDataNotFound, naming both ways to provide it, when there is none."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        folder = Path(explicit).expanduser().resolve()
        if not (folder / "manifest.json").is_file():
            raise GoldenDataNotFound(f"{ENV_VAR}={explicit}: no golden set there (no manifest.json)")
        return folder
    root = source_checkout()
    if root is not None:
        return root / "golden"
    if (INSTALLED_GOLDEN / "manifest.json").is_file():
        return INSTALLED_GOLDEN
    raise GoldenDataNotFound(
        f"no golden data: not installed with the package ({INSTALLED_GOLDEN}) and no explicit folder "
        f"(set {ENV_VAR}=FOLDER or pass --golden-dir FOLDER, FOLDER holding the repository's golden/)"
    )
