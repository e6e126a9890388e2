"""Which hardware a benchmark run is from: runs on different hardware are never compared.

The key names the CPU model, its logical core count and every visible GPU model, e.g.
`x86_64-amd-epyc-2cpu-nogpu` or `x86_64-...-16cpu-nvidia-h100-80gb-hbm3`. History is stored per key.
"""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown-cpu"


def gpu_models() -> list[str]:
    import torch

    if not torch.cuda.is_available():
        return []
    return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]


def hardware_key() -> str:
    """A folder-safe name of this machine's CPU model, core count and GPU models."""
    gpus = gpu_models()
    raw = f"{platform.machine()}-{cpu_model()}-{os.cpu_count()}cpu-" + ("-".join(gpus) if gpus else "nogpu")
    return re.sub(r"[^a-z0-9.]+", "-", raw.lower()).strip("-")


def machine_info() -> dict:
    """What is added to pytest-benchmark's machine info of every saved run."""
    import torch

    return {"hardware_key": hardware_key(), "cpu_model": cpu_model(), "logical_cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(), "gpus": gpu_models(), "torch": torch.__version__,
            "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version() if torch.cuda.is_available() else None}
