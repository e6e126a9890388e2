"""What produced a run: package versions, machine, and a fingerprint of the weights used."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
from pathlib import Path

from codec.loading import weights_fingerprint  # noqa: F401  (re-exported: runs record the weights' hash)

PACKAGES = (
    "torch",
    "diffusers",
    "transformers",
    "huggingface_hub",
    "librosa",
    "soxr",
    "soundfile",
    "numpy",
    "scipy",
    "pesq",
    "pystoi",
    "scikit-image",
    "visqol-python",
    "speechmos",
    "onnxruntime",
    "constriction",
    "audioldm2-codec-harness",
)
TOOLS = {"ffmpeg": ["ffmpeg", "-version"], "lame": ["lame", "--version"], "mpg123": ["mpg123", "--version"]}
"""The baseline codecs' command-line tools that say their version (`codec_tools`)."""


def package_versions() -> dict[str, str | None]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def codec_tools() -> dict[str, str | None]:
    """What the baseline codecs ran with, for a run's record (their output depends on it): libsndfile's
    version (Opus and MP3 go through it), the first line of each tool's version output, codec2's
    `c2enc` path (it prints no version); None for a tool that is absent or does not answer in 5 s."""
    import shutil
    import subprocess

    import soundfile

    out: dict[str, str | None] = {"libsndfile": soundfile.__libsndfile_version__}
    for name, command in TOOLS.items():
        out[name] = None
        if shutil.which(command[0]):
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=5, stdin=subprocess.DEVNULL
                )
                lines = (done.stdout or done.stderr).strip().splitlines()
                out[name] = lines[0] if lines else None
            except (OSError, subprocess.SubprocessError):
                out[name] = None
    out["c2enc"] = shutil.which("c2enc")
    return out


def machine(device: str) -> dict:
    import torch

    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": device,
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


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
    """A folder-safe name of this machine's CPU model, core count and GPU models (benchmark and
    quality history), e.g. `x86_64-amd-epyc-2cpu-nogpu`."""
    gpus = gpu_models()
    raw = f"{platform.machine()}-{cpu_model()}-{os.cpu_count()}cpu-" + ("-".join(gpus) if gpus else "nogpu")
    return re.sub(r"[^a-z0-9.]+", "-", raw.lower()).strip("-")


def git_state(root: Path | None) -> tuple[str | None, bool | None]:
    """(commit, whether the work tree has uncommitted changes) of the checkout at `root`, or Nones (also
    for `root` None: installed from a wheel, there is no checkout; see `evals.data_paths.source_checkout`)."""
    import subprocess

    if root is None:
        return None, None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()
        dirty = (
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=root,
                capture_output=True,
                text=True,
                check=True,
                timeout=30,
            ).stdout.strip()
            != ""
        )
        return commit, dirty
    except (OSError, subprocess.SubprocessError):
        return None, None
