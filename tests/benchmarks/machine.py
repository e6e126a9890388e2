"""Which hardware a benchmark run is from: runs on different hardware are never compared.

The key names the CPU model, its logical core count and every visible GPU model, e.g.
`x86_64-amd-epyc-2cpu-nogpu` or `x86_64-...-16cpu-nvidia-h100-80gb-hbm3`. History is stored per key.
"""

from __future__ import annotations

import os

from evals.provenance import cpu_model, gpu_models, hardware_key  # noqa: E402, F401 - one definition


def machine_info() -> dict:
    """What is added to pytest-benchmark's machine info of every saved run."""
    import torch

    return {
        "hardware_key": hardware_key(),
        "cpu_model": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpus": gpu_models(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.cuda.is_available() else None,
    }
