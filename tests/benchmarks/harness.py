"""Shared pieces of the benchmark suite: 10.24 s inputs, the machine's ceiling, `extra_info`.

Every benchmark records in `extra_info`: audio seconds, batch, real-time factor, throughput (audio
seconds per second), FLOPs, bytes, GFLOP/s and the fraction of this run's measured ceiling.
"""

from __future__ import annotations

import torch

from tests.benchmarks.cost import Ceiling, count_bytes, count_flops, measure_ceiling, synchronize

FRAMES = 1024
"""10.24 s of audio: 1024 mel frames of 160 samples (a [B, 8, 256, 16] latent)."""
SECONDS = FRAMES * 160 / 16000
SAMPLES = (FRAMES - 1) * 160
"""The wave length whose centred STFT has exactly FRAMES frames."""
CPU_BATCHES = (1, 2)
GPU_BATCHES = (1, 16)
CPU_ROUNDS = dict(rounds=3, warmup_rounds=1, iterations=1)
GPU_ROUNDS = dict(rounds=10, warmup_rounds=3, iterations=1)


def ceiling(device: str, dtype: torch.dtype = torch.float32) -> Ceiling:
    """The machine's ceiling on `device` in `dtype`, measured now."""
    return measure_ceiling(torch.device(device), dtype, repeats=3)


def speech_like(batch: int, samples: int = SAMPLES, seed: int = 0) -> torch.Tensor:
    """float32 `[batch, samples]`: harmonic bursts in noise, peak 0.5 (content does not change speed)."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(samples) / 16000
    f0 = 120 + 40 * torch.sin(2 * torch.pi * 0.5 * t)
    phase = 2 * torch.pi * torch.cumsum(f0, 0) / 16000
    voiced = sum(torch.sin(k * phase) / k for k in range(1, 20)) * (torch.sin(2 * torch.pi * 2 * t) > 0)
    wave = voiced + 0.05 * torch.randn(batch, samples, generator=g)
    return (0.5 * wave / wave.abs().amax(dim=-1, keepdim=True)).float()


_COUNTS: dict[tuple, tuple[float, float]] = {}


def record(
    benchmark,
    fn,
    args: tuple,
    *,
    key: tuple,
    batch: int,
    device: str = "cpu",
    dtype: torch.dtype = torch.float32,
    seconds: float = SECONDS,
    fft_bound: bool = False,
) -> None:
    """Puts cost and speed figures in `benchmark.extra_info` (call after the benchmark ran).

    FLOPs and bytes are counted once per `key` (per clip: one extra call of `fn(*args)`, divided
    by `batch`; both grow linearly with the batch here). The ceiling is re-measured right after
    each benchmark (a few seconds), so a busy shared machine lowers both alike.
    `fft_bound`: torch's FLOP counter does not count FFTs, so no fraction is given.
    """
    if key not in _COUNTS:
        _COUNTS[key] = (count_flops(fn, *args) / batch, count_bytes(fn, *args) / batch)
    flops, nbytes = (batch * v for v in _COUNTS[key])
    limit = measure_ceiling(torch.device(device), dtype, repeats=3)
    median = benchmark.stats.stats.median
    audio = seconds * batch
    gflops = flops / median / 1e9
    benchmark.extra_info.update(
        {
            "audio_seconds": audio,
            "batch": batch,
            "median_s": median,
            "real_time_factor": median / audio,
            "x_real_time": audio / median,
            "audio_seconds_per_second": audio / median,
            "gflop": flops / 1e9,
            "gbytes": nbytes / 1e9,
            "arithmetic_intensity": flops / nbytes if nbytes else None,
            "gflop_per_s": gflops,
            "fraction_of_ceiling": None if fft_bound or not flops else gflops / limit.compute_gflops,
            "flops_note": "FFTs not counted" if fft_bound else "",
            "ceiling": limit.as_dict(),
        }
    )


def timed(fn, device: torch.device):
    """`fn` followed by a device synchronisation, so the timer sees the GPU's work."""

    def run(*args):
        out = fn(*args)
        synchronize(device)
        return out

    return run
