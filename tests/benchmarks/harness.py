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



_CEILINGS: dict[tuple[str, str], Ceiling] = {}


def ceiling(device: str, dtype: torch.dtype = torch.float32) -> Ceiling:
    """This run's measured ceiling of `device` in `dtype` (measured once per run)."""
    key = (device, str(dtype))
    if key not in _CEILINGS:
        _CEILINGS[key] = measure_ceiling(torch.device(device), dtype)
    return _CEILINGS[key]


def speech_like(batch: int, samples: int = SAMPLES, seed: int = 0) -> torch.Tensor:
    """float32 `[batch, samples]`: harmonic bursts in noise, peak 0.5 (content does not change speed)."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(samples) / 16000
    f0 = 120 + 40 * torch.sin(2 * torch.pi * 0.5 * t)
    phase = 2 * torch.pi * torch.cumsum(f0, 0) / 16000
    voiced = sum(torch.sin(k * phase) / k for k in range(1, 20)) * (torch.sin(2 * torch.pi * 2 * t) > 0)
    wave = voiced + 0.05 * torch.randn(batch, samples, generator=g)
    return (0.5 * wave / wave.abs().amax(dim=-1, keepdim=True)).float()


_COUNTS: dict[tuple, tuple[int, int]] = {}


def record(benchmark, fn, args: tuple, *, key: tuple, batch: int, limit: Ceiling,
           seconds: float = SECONDS) -> None:
    """Puts cost and speed figures in `benchmark.extra_info` (call after the benchmark ran).

    FLOPs and bytes are counted once per `key` with one extra call of `fn(*args)`.
    """
    if key not in _COUNTS:
        flops = count_flops(fn, *args)
        _COUNTS[key] = (flops, count_bytes(fn, *args))
    flops, nbytes = _COUNTS[key]
    median = benchmark.stats.stats.median
    audio = seconds * batch
    gflops = flops / median / 1e9
    benchmark.extra_info.update({
        "audio_seconds": audio, "batch": batch, "median_s": median,
        "real_time_factor": median / audio, "x_real_time": audio / median,
        "audio_seconds_per_second": audio / median,
        "gflop": flops / 1e9, "gbytes": nbytes / 1e9,
        "arithmetic_intensity": flops / nbytes if nbytes else None,
        "gflop_per_s": gflops,
        "fraction_of_ceiling": gflops / limit.compute_gflops if flops else None,
        "ceiling": limit.as_dict(),
    })


def timed(fn, device: torch.device):
    """`fn` followed by a device synchronisation, so the timer sees the GPU's work."""
    def run(*args):
        out = fn(*args)
        synchronize(device)
        return out
    return run
