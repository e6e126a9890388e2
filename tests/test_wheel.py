"""The golden data ships in the wheel: one locator (evals/data_paths.py) finds it installed, in the
checkout, or where AUDIOLDM2_GOLDEN_DIR points, and a wheel installed into a fresh venv runs the
scorecard from another directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from evals import data_paths
from evals.gating.golden_set import GOLDEN_DIR, golden_clips

ROOT = Path(__file__).resolve().parent.parent
CLIP = "speech_male_arctic_a0007"
METHOD = "vae+hifigan"
"""Needs both embedded reference models (VAE and vocoder)."""


def test_the_checkout_uses_the_repositorys_golden_folder():
    assert data_paths.source_checkout() == ROOT
    assert GOLDEN_DIR == ROOT / "golden", "--update-golden must write into the repository"


def test_an_explicit_folder_wins_and_a_wrong_one_is_named(monkeypatch, tmp_path):
    (tmp_path / "manifest.json").write_text("{}")
    monkeypatch.setenv(data_paths.ENV_VAR, str(tmp_path))
    assert data_paths.golden_dir() == tmp_path
    monkeypatch.setenv(data_paths.ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(data_paths.GoldenDataNotFound, match=f"{data_paths.ENV_VAR}=.*nowhere"):
        data_paths.golden_dir()


def test_without_golden_data_the_error_names_both_ways_to_provide_it(monkeypatch, tmp_path):
    monkeypatch.delenv(data_paths.ENV_VAR, raising=False)
    monkeypatch.setattr(data_paths, "source_checkout", lambda: None)
    monkeypatch.setattr(data_paths, "INSTALLED_GOLDEN", tmp_path / "golden")
    with pytest.raises(data_paths.GoldenDataNotFound) as err:
        data_paths.golden_dir()
    message = str(err.value)
    assert "\n" not in message and str(tmp_path / "golden") in message
    assert data_paths.ENV_VAR in message and "--golden-dir" in message


def test_the_package_list_holds_every_package_and_maps_golden():
    """pyproject lists the packages (find cannot rename golden/ to evals/golden): none may be missing."""
    tomllib = pytest.importorskip("tomllib")
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {p.parent for top in ("codec", "evals") for p in (ROOT / top).rglob("*.py")}
    packages = {".".join(f.relative_to(ROOT).parts) for f in folders if "__pycache__" not in f.parts}
    assert set(tool["packages"]) == packages | {"evals.golden"}
    assert tool["package-dir"] == {"evals.golden": "golden"}


def build_wheel(into: Path) -> Path:
    """The wheel of a copy of the checkout (building in place would leave build/ in the repository)."""
    source = into / "source"
    skip = shutil.ignore_patterns("__pycache__", ".*", "*.egg-info")
    for name in ("codec", "evals", "golden"):
        shutil.copytree(ROOT / name, source / name, ignore=skip)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(into / "dist"),
        ],
        check=True,
        cwd=into,
    )
    return next((into / "dist").glob("*.whl"))


def fresh_venv(folder: Path, wheel: Path) -> Path:
    """A venv with only the wheel installed; this test environment's packages (torch, ...) are seen
    through a .pth line naming its site-packages, which is not a site folder there, so an editable
    install's finder in it never runs. Returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
        check=True,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "_test_environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


@pytest.mark.skipif(sys.platform == "win32", reason="venv layout (bin/python)")
def test_a_wheel_in_a_fresh_venv_runs_the_scorecard_from_another_directory(tmp_path):
    wheel = build_wheel(tmp_path)
    shipped = {
        n.removeprefix("evals/golden/")
        for n in zipfile.ZipFile(wheel).namelist()
        if n.startswith("evals/golden/")
    }
    data = {
        str(p.relative_to(GOLDEN_DIR))
        for p in GOLDEN_DIR.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(GOLDEN_DIR).parts)
    }
    assert shipped == data, f"golden/ files not in the wheel: {sorted(data - shipped)}"
    assert CLIP in golden_clips()

    python = fresh_venv(tmp_path / "venv", wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "HF_HOME": str(tmp_path / "hf"),
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import evals, evals.data_paths as d; print(evals.__file__); print(d.golden_dir())",
        ],
        cwd=elsewhere,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert all(Path(p).is_relative_to(tmp_path / "venv") for p in where), where
    done = subprocess.run(
        [
            str(python),
            "-m",
            "evals",
            "scorecard",
            "-o",
            "card",
            "-m",
            METHOD,
            "--clip",
            CLIP,
            "--no-audio",
            "--no-progress",
            "--engine",
            "in-process",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    card = json.loads((elsewhere / "card" / "scorecard.json").read_text())
    assert card["model"].startswith("the embedded reference models"), card["model"]
    assert Path(card["weights"]).is_relative_to(tmp_path / "venv"), card["weights"]
    assert card["against_golden"]["counts"]["unchanged"] > 0, "no golden values compared"
    assert (elsewhere / "card" / "scorecard.html").is_file()
    assert json.loads((elsewhere / "card" / "summary.json").read_text())["commit"] is None, "no checkout"
