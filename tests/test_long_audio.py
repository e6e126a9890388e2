"""An hour of audio through `python -m codec encode` / `decode` in bounded memory (`pytest -m slow`).

Each step runs in its own process; its peak resident memory (`ru_maxrss`) must stay under
`PEAK_RSS_BOUND`. Chunked equals whole on shorter audio: `tests/test_chunking.py`.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from tests.helpers import GOLDEN

pytestmark = pytest.mark.slow

MINUTES = 60
PEAK_RSS_BOUND = 2 * 2**30
"""2 GiB for a 60-minute 16 kHz mono file with the reference VAE (measured 1.55 GiB encode, 1.60 GiB
decode). The audio arrays grow with the length; the models' working memory does not (see
`codec.chunking`). The README has the measured figures."""


def write_hour(path, minutes: int = MINUTES, rate: int = 16000) -> None:
    """Tones, chirps and noise bursts, written a minute at a time (16-bit PCM)."""
    g = np.random.default_rng(0)
    with sf.SoundFile(str(path), "w", rate, 1, subtype="PCM_16") as f:
        t = np.arange(60 * rate) / rate
        for m in range(minutes):
            tone = 0.2 * np.sin(2 * np.pi * (200 + 10 * m) * t * (1 + 0.1 * np.sin(2 * np.pi * 0.2 * t)))
            bursts = 0.1 * g.standard_normal(t.size) * (np.sin(2 * np.pi * 0.5 * t) > 0.7)
            f.write((tone + bursts).astype(np.float32))


_MEASURED = """
import resource, runpy, sys
sys.argv = ["codec", *sys.argv[1:]]
try:
    runpy.run_module("codec", run_name="__main__")
finally:
    print(f"peak-rss-kib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)
"""


def peak_rss_of(args: list[str]) -> int:
    """Runs `python -m codec ARGS` in its own process (must succeed); returns its peak RSS in bytes."""
    done = subprocess.run([sys.executable, "-c", _MEASURED, *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    print(done.stdout.strip())
    return int(done.stderr.rsplit("peak-rss-kib ", 1)[1].split()[0]) * 1024  # Linux: KiB


def test_an_hour_encodes_and_decodes_in_bounded_memory(tmp_path):
    source, box, out = tmp_path / "hour.wav", tmp_path / "hour.al2c", tmp_path / "hour-out.flac"
    write_hour(source)
    weights = str(GOLDEN / "reference")
    encode_rss = peak_rss_of(["encode", str(source), "-o", str(box), "--weights", weights, "--device", "cpu"])
    decode_rss = peak_rss_of(
        [
            "decode",
            str(box),
            "-o",
            str(out),
            "--weights",
            weights,
            "--vocoder",
            "griffinlim",
            "--device",
            "cpu",
        ]
    )
    print(
        f"peak RSS: encode {encode_rss / 2**30:.2f} GiB, decode {decode_rss / 2**30:.2f} GiB "
        f"(bound {PEAK_RSS_BOUND / 2**30:.1f} GiB)"
    )
    assert sf.info(str(out)).frames == MINUTES * 60 * 16000
    assert max(encode_rss, decode_rss) < PEAK_RSS_BOUND
