"""The committed recordings match their manifest (provenance, hashes, licences)."""

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import GOLDEN

ROOT = Path(__file__).resolve().parent.parent


def test_every_committed_excerpt_matches_the_manifest():
    result = subprocess.run(
        [sys.executable, "-m", "scripts.build_golden", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_every_audio_file_is_in_the_manifest_with_a_licence():
    manifest = json.loads((GOLDEN / "manifest.json").read_text())
    listed = {e["file"] for e in manifest["excerpts"]}
    on_disk = {str(p.relative_to(GOLDEN)) for p in GOLDEN.rglob("*.flac")}
    assert on_disk == listed
    for entry in manifest["excerpts"]:
        assert (GOLDEN / entry["licence_file"]).is_file(), entry["licence_file"]
        assert len(entry["source"]["member_sha256"]) == 64 and entry["source"]["version"]
