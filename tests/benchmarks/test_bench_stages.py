"""Speed of every codec stage on 10.24 s of audio, real-size models (random weights).

    python -m tests.benchmarks              # run, save to history, compare with the last run
    pytest -m benchmark tests/benchmarks    # just run

CPU: float32 at batch 1 and 2. GPU (`-m "benchmark and gpu"`): float32, float16 and bfloat16 at
batch 1 and 16, each synchronised before the timer stops. A half-precision case runs only where
the stage's output stays within `HALF_TOLERANCE` of float32 (relative mean absolute difference,
measured on the same input and weights); otherwise it is skipped with the measured deviation.
`round_trip_plain` is the plain diffusers + transformers calls in float32 (`torch.no_grad`,
default memory format): the baseline the codec's own path is measured against in the same run.
"""

from __future__ import annotations

import pytest
import torch

from codec.frontend import log_mel
from codec.pipeline import Codec
from codec.vae import VAE
from codec.vocoders import GriffinLimVocoder, HifiGanVocoder
from tests.benchmarks.harness import (
    CPU_BATCHES,
    CPU_ROUNDS,
    FRAMES,
    GPU_BATCHES,
    GPU_ROUNDS,
    record,
    speech_like,
    timed,
)
from tests.benchmarks.models import real_size_vae, real_size_vocoder

pytestmark = pytest.mark.benchmark

HALF_TOLERANCE = 0.05
"""Largest relative mean |half - float32| / mean |float32| for a half-precision case to count
(random weights; `pytest -m "gpu and weights"` checks the real model's log-mel in bfloat16)."""

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
CASES = [pytest.param("cpu", "float32", b, id=f"cpu-float32-b{b}") for b in CPU_BATCHES] + [
    pytest.param("cuda", d, b, id=f"cuda-{d}-b{b}", marks=pytest.mark.gpu)
    for d in DTYPES
    for b in GPU_BATCHES
]

_CODECS: dict[tuple[str, str], Codec] = {}


def codec_for(device: str, dtype: str) -> Codec:
    """The codec's own path (VAE + HiFi-GAN wrappers) on real-size random models, cached."""
    if (device, dtype) not in _CODECS:
        _CODECS.clear()  # one set of real-size models in memory at a time
        dt = DTYPES[dtype]
        _CODECS[(device, dtype)] = Codec(
            VAE(real_size_vae(), dtype=dt), HifiGanVocoder(real_size_vocoder(), dtype=dt), device=device
        )
    return _CODECS[(device, dtype)]


def stage_inputs(device: str, batch: int) -> dict[str, torch.Tensor]:
    """wave `[B, 163680]`, its log-mel `[B, 1024, 64]` and a latent `[B, 8, 256, 16]`."""
    wave = speech_like(batch).to(device)
    mel = log_mel(wave)
    return {"wave": wave, "mel": mel, "latent": torch.randn(batch, 8, FRAMES // 4, 16, device=device)}


STAGES = {
    "frontend": (lambda c: log_mel, "wave"),
    "vae_encode": (lambda c: c.vae.encode, "mel"),
    "vae_decode": (lambda c: c.vae.decode, "latent"),
    "hifigan": (lambda c: c.vocoder, "mel"),
    "griffinlim": (lambda c: GriffinLimVocoder(n_iter=32).to(c.device), "mel"),
    "round_trip": (lambda c: lambda w: c.vocode(c.decode_mel(c.encode_mel(log_mel(w)))), "wave"),
}


def _relative_deviation(device: str, dtype: str, stage: str, x: torch.Tensor) -> float:
    """Relative mean |out_dtype - out_float32| of `stage` on `x`, same (seeded) weights."""
    half = STAGES[stage][0](codec_for(device, dtype))(x).float()
    full = STAGES[stage][0](codec_for(device, "float32"))(x).float()
    return float((half - full).abs().mean() / full.abs().mean())


@pytest.mark.parametrize("stage", list(STAGES))
@pytest.mark.parametrize("device, dtype, batch", CASES)
def test_stage(benchmark, device, dtype, batch, stage):
    x = stage_inputs(device, batch)[STAGES[stage][1]]
    if dtype != "float32" and stage not in ("frontend", "griffinlim"):
        deviation = _relative_deviation(device, dtype, stage, x)
        benchmark.extra_info["relative_deviation_vs_float32"] = deviation
        if not deviation <= HALF_TOLERANCE:
            pytest.skip(f"{stage} in {dtype} deviates {deviation:.3g} from float32 (> {HALF_TOLERANCE})")
    fn = timed(STAGES[stage][0](codec_for(device, dtype)), torch.device(device))
    benchmark.group = f"{stage} {device}"
    benchmark.pedantic(fn, args=(x,), **(GPU_ROUNDS if device == "cuda" else CPU_ROUNDS))
    record(
        benchmark,
        fn,
        (x,),
        key=(stage, dtype, device),
        batch=batch,
        device=device,
        dtype=DTYPES[dtype],
        fft_bound=stage in ("frontend", "griffinlim"),
    )


def plain_round_trip(vae, vocoder):
    """The plain library calls, float32, as a user without this codec would write them."""

    def run(wave: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            mel = log_mel(wave)
            z = vae.encode(mel[:, None]).latent_dist.mode()
            return vocoder(vae.decode(z).sample[:, 0])

    return run


@pytest.mark.parametrize("batch", CPU_BATCHES, ids=[f"cpu-float32-b{b}" for b in CPU_BATCHES])
def test_round_trip_plain(benchmark, batch):
    _CODECS.clear()
    fn = plain_round_trip(real_size_vae(), real_size_vocoder())
    x = speech_like(batch)
    benchmark.group = "round_trip cpu"
    benchmark.pedantic(fn, args=(x,), **CPU_ROUNDS)
    record(benchmark, fn, (x,), key=("round_trip_plain",), batch=batch)


SPEEDUP_PAIRS = 3


def test_round_trip_speedup_over_plain_calls(benchmark):
    """The codec's CPU round trip against the plain library calls, alternated call by call (batch 1)
    so that a shared machine's slow spells hit both alike. The benchmark's time is one pair (codec
    then plain); `extra_info` has each side's median and their ratio."""
    import statistics
    import time

    _CODECS.clear()
    plain = plain_round_trip(real_size_vae(), real_size_vocoder())
    ours = STAGES["round_trip"][0](codec_for("cpu", "float32"))
    x = speech_like(1)
    times = {"codec": [], "plain": []}

    def pair():
        for name, fn in (("codec", ours), ("plain", plain)):
            start = time.perf_counter()
            fn(x)
            times[name].append(time.perf_counter() - start)

    benchmark.group = "round_trip cpu"
    benchmark.pedantic(pair, rounds=SPEEDUP_PAIRS, warmup_rounds=1, iterations=1)
    measured = {name: t[1:] for name, t in times.items()}  # the warm-up pair is not counted
    codec_s, plain_s = statistics.median(measured["codec"]), statistics.median(measured["plain"])
    benchmark.extra_info.update(
        {
            "codec_median_s": codec_s,
            "plain_median_s": plain_s,
            "speedup": plain_s / codec_s,
            "pairs": SPEEDUP_PAIRS,
            "times": measured,
        }
    )
    print(f"codec {codec_s:.2f} s vs plain {plain_s:.2f} s: {plain_s / codec_s:.2f}x")
