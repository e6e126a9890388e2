"""What a stage costs and how close it runs to the machine's limit.

- `count_flops`: torch's own `FlopCounterMode` (matmul/conv/attention FLOPs, 2 per multiply-add).
- `count_bytes`: bytes read and written by every non-view aten op, un-fused: an upper bound on
  memory traffic (fusion, as torch.compile does, only lowers it).
- `measure_ceiling`: the machine's best dense matmul and conv GFLOP/s and its copy bandwidth,
  measured in the same run as the stages so the fractions compare like with like.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from torch.utils.flop_counter import FlopCounterMode


def count_flops(fn, *args, **kwargs) -> int:
    """FLOPs of one call `fn(*args, **kwargs)` (torch.utils.flop_counter; 2 per multiply-add)."""
    mode = FlopCounterMode(display=False)
    with mode:
        fn(*args, **kwargs)
    return int(mode.get_total_flops())


class _ByteCounter(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.bytes = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if not func.is_view:
            for t in tree_flatten((args, kwargs, out))[0]:
                if isinstance(t, torch.Tensor):
                    self.bytes += t.numel() * t.element_size()
        return out


def count_bytes(fn, *args, **kwargs) -> int:
    """Bytes read + written by the non-view aten ops of one call (un-fused upper bound)."""
    counter = _ByteCounter()
    with counter:
        fn(*args, **kwargs)
    return int(counter.bytes)


def synchronize(device: torch.device) -> None:
    """Waits for queued GPU work, so a timer sees it (no-op on CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _best_rate(fn, work: float, device: torch.device, repeats: int) -> float:
    fn()  # warm-up (kernel selection, allocation)
    synchronize(device)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return work / best


@dataclass(frozen=True)
class Ceiling:
    """The machine's measured limits (best of a few repeats)."""

    device: str
    dtype: str
    matmul_gflops: float
    conv_gflops: float
    copy_gbytes_per_s: float

    @property
    def compute_gflops(self) -> float:
        """The compute ceiling: the better of dense matmul and conv."""
        return max(self.matmul_gflops, self.conv_gflops)

    def as_dict(self) -> dict:
        return {**asdict(self), "compute_gflops": self.compute_gflops}


@torch.inference_mode()
def measure_ceiling(device: torch.device, dtype: torch.dtype = torch.float32, repeats: int = 5) -> Ceiling:
    """Best dense matmul and 3x3 conv GFLOP/s, and copy GB/s, on `device` in `dtype`.

    Sizes are large enough to saturate the device: a 2048 (CPU) or 8192 (GPU) square matmul, a
    256-channel 3x3 conv on a [256 x 64] map (the VAE's middle), and a 256 MB copy.
    """
    gpu = device.type == "cuda"
    n = 8192 if gpu else 2048
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    matmul = _best_rate(lambda: a @ b, 2 * n**3 / 1e9, device, repeats)
    batch = 16 if gpu else 1
    x = torch.randn(batch, 256, 256, 64, device=device, dtype=dtype)
    conv = torch.nn.Conv2d(256, 256, 3, padding=1).to(device=device, dtype=dtype)
    conv_flops = 2 * 256 * 256 * 9 * 256 * 64 * batch / 1e9
    conv_rate = _best_rate(lambda: conv(x), conv_flops, device, repeats)
    src = torch.empty(64 * 2**20, device=device, dtype=torch.float32)
    dst = torch.empty_like(src)
    copy = _best_rate(lambda: dst.copy_(src), 2 * src.numel() * 4 / 1e9, device, repeats)
    return Ceiling(
        device=str(device),
        dtype=str(dtype).replace("torch.", ""),
        matmul_gflops=round(matmul, 1),
        conv_gflops=round(conv_rate, 1),
        copy_gbytes_per_s=round(copy, 1),
    )
