"""What produced a run: package versions, machine, and a fingerprint of the weights used."""

from __future__ import annotations

import importlib.metadata
import os
import platform

from codec.loading import weights_fingerprint  # noqa: F401  (re-exported: runs record the weights' hash)

PACKAGES = ("torch", "diffusers", "transformers", "huggingface_hub", "librosa", "soxr", "soundfile",
            "numpy", "scipy", "pesq", "pystoi", "scikit-image", "audioldm2-codec-harness")


def package_versions() -> dict[str, str | None]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def machine(device: str) -> dict:
    import torch

    info = {"python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(), "device": device}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info
