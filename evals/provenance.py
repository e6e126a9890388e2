"""What produced a run: package versions, machine, and a fingerprint of the weights used."""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import platform
from pathlib import Path

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


def weights_fingerprint(root: Path, subfolders: tuple[str, ...]) -> str:
    """sha256 over the config and safetensors files of `subfolders` (relative path + content)."""
    digest = hashlib.sha256()
    for sub in sorted(subfolders):
        for path in sorted((root / sub).glob("*")):
            if path.suffix in (".json", ".safetensors") and path.is_file():
                digest.update(f"{sub}/{path.name}\n".encode())
                with path.open("rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
    return digest.hexdigest()
