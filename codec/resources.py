"""Refusing work that cannot fit in memory, before it starts, with the numbers.

Long inputs run in chunks (`codec.chunking`), so the models' working memory is bounded; what still
grows with the length is the audio itself (the input at its own rate, the 16 kHz signal, the
log-mel and the output). `check_memory` compares that estimate with the memory the system says
is available and refuses with `ResourceError` instead of letting the process be killed.
"""

from __future__ import annotations

from .errors import ResourceError


def available_bytes() -> int | None:
    """`MemAvailable` from /proc/meminfo (Linux); None where it cannot be read (no check then)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def check_memory(needed: int, what: str) -> None:
    """Raises `ResourceError` when `needed` bytes exceed what is available."""
    free = available_bytes()
    if free is not None and needed > free:
        raise ResourceError(
            f"{what} needs about {needed / 2**30:.1f} GiB of memory, but only "
            f"{free / 2**30:.1f} GiB is available; split the audio into shorter files "
            f"or free memory"
        )


def audio_bytes(samples: int, channels: int = 1, rate: int = 16000) -> int:
    """Working bytes of the codec for audio of `samples` x `channels` at `rate` (float32).

    The input (x2: read and down-mixed), the 16 kHz signal (x3: prepared, padded, reflect-padded
    for the chunked STFT), the log-mel (64 per 160 samples), and the 16 kHz output (x3: vocoded,
    gain-restored, resampled).
    """
    at_16k = samples * 16000 // max(rate, 1) + 1
    return 4 * (2 * samples * channels + 6 * at_16k + 64 * (at_16k // 160 + 1))
