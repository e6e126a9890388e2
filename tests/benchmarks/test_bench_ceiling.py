"""The machine's measured limits, saved with every run so history shows how noisy the machine was."""

from __future__ import annotations

import pytest
import torch

from tests.benchmarks.harness import ceiling

pytestmark = pytest.mark.benchmark


@pytest.mark.parametrize(
    "device, dtype",
    [
        pytest.param("cpu", torch.float32, id="cpu-float32"),
        *[
            pytest.param("cuda", d, id=f"cuda-{str(d)[6:]}", marks=pytest.mark.gpu)
            for d in (torch.float32, torch.float16, torch.bfloat16)
        ],
    ],
)
def test_ceiling(benchmark, device, dtype):
    n = 8192 if device == "cuda" else 2048
    a = torch.randn(n, n, device=device, dtype=dtype)

    def matmul():
        out = a @ a
        if device == "cuda":
            torch.cuda.synchronize()
        return out

    benchmark.group = "ceiling"
    benchmark.pedantic(matmul, rounds=5, warmup_rounds=1, iterations=1)
    benchmark.extra_info.update(
        {
            "matmul_n": n,
            "gflop_per_s": 2 * n**3 / benchmark.stats.stats.median / 1e9,
            "ceiling": ceiling(device, dtype).as_dict(),
        }
    )
