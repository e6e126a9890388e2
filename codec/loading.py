"""Finding and loading AudioLDM2 weights: a local folder, or a hub id from the local cache.

A weights source is laid out like the hub repos (`cvssp/audioldm2-music`):

    <root>/vae/config.json + diffusion_pytorch_model.safetensors    (diffusers AutoencoderKL)
    <root>/vocoder/config.json + model.safetensors                  (transformers SpeechT5HifiGan)

A hub id is looked up in the local Hugging Face cache first; only when that misses and
`HF_HUB_OFFLINE` is not set is a download tried. Every miss ends in one `WeightsNotFoundError`
that says where the loader looked and how to provide the weights.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import torch

from .errors import IncompatibleModelError, WeightsNotFoundError

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_TRUE = {"1", "ON", "YES", "TRUE"}


def hub_offline() -> bool:
    """True when `HF_HUB_OFFLINE` asks for cache-only look-ups (read at call time)."""
    return os.environ.get("HF_HUB_OFFLINE", "").upper() in _TRUE


def resolve_weights(name_or_path: str, subfolders: tuple[str, ...]) -> Path:
    """Returns a local folder that holds `subfolders` (e.g. `("vae", "vocoder")`).

    Args:
        name_or_path: a local folder, or a hub id such as `cvssp/audioldm2-music`.
        subfolders: the parts that must be present, each with a `config.json`.

    Raises:
        WeightsNotFoundError: with every place looked at and how to provide the weights.
    """
    tried: list[str] = []
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        missing = [s for s in subfolders if not (path / s / "config.json").is_file()]
        if not missing:
            return path
        tried.append(f"local folder {path.resolve()}: no {', '.join(s + '/config.json' for s in missing)}")
    elif _HUB_ID.match(str(name_or_path)) and not str(name_or_path).startswith("."):
        found = _from_hub(str(name_or_path), subfolders, tried)
        if found is not None:
            return found
    else:
        tried.append(f"local folder {path.resolve()}: does not exist (and it is not a hub id)")
    raise WeightsNotFoundError(_not_found_message(str(name_or_path), subfolders, tried))


def _from_hub(repo_id: str, subfolders: tuple[str, ...], tried: list[str]) -> Path | None:
    from huggingface_hub import snapshot_download
    from huggingface_hub.constants import HF_HUB_CACHE

    patterns = [f"{s}/*" for s in subfolders]
    attempts = [True] if hub_offline() else [True, False]
    for local_only in attempts:
        try:
            root = Path(snapshot_download(repo_id, allow_patterns=patterns, local_files_only=local_only))
        except Exception as err:  # noqa: BLE001 - any hub failure means "not found here"
            if local_only:
                tried.append(f"hub cache {HF_HUB_CACHE}: no snapshot of {repo_id} with {patterns}")
            else:
                reason = _shorten(" ".join(str(err).split()), 160)
                tried.append(f"download of {repo_id}: failed ({type(err).__name__}: {reason})")
            continue
        if all((root / s / "config.json").is_file() for s in subfolders):
            return root
        tried.append(f"hub snapshot {root}: incomplete, missing one of {list(subfolders)}")
    if hub_offline():
        tried.append("download: not tried, HF_HUB_OFFLINE is set")
    return None


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " ..."


def _not_found_message(name: str, subfolders: tuple[str, ...], tried: list[str]) -> str:
    repo = name if _HUB_ID.match(name) else "cvssp/audioldm2-music"
    include = " ".join(f"'{s}/*'" for s in subfolders)
    return (
        f"AudioLDM2 weights {name!r} not found (need {', '.join(s + '/' for s in subfolders)}). "
        f"Looked at: " + "; ".join(tried) + ". "
        f"To provide them: (1) pass a local folder laid out like the hub repo "
        f"(<folder>/vae/config.json + diffusion_pytorch_model.safetensors, "
        f"<folder>/vocoder/config.json + model.safetensors) with --weights; or (2) on a machine "
        f"with hub access run `hf download {repo} --include {include}` (older clients: "
        f"`huggingface-cli download ...`) and copy its cache (HF_HOME) here; then "
        f"HF_HUB_OFFLINE=1 uses the cache without touching the network. Griffin-Lim needs only vae/."
    )


def weights_fingerprint(root: Path, subfolders: tuple[str, ...]) -> str:
    """sha256 over the config and safetensors files of `subfolders` (relative path + content)."""
    import hashlib

    digest = hashlib.sha256()
    for sub in sorted(subfolders):
        for path in sorted((root / sub).glob("*")):
            if path.suffix in (".json", ".safetensors") and path.is_file():
                digest.update(f"{sub}/{path.name}\n".encode())
                with path.open("rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
    return digest.hexdigest()


def load_autoencoder(root: Path, dtype=torch.float32):
    """Loads `root/vae` as a diffusers `AutoencoderKL` (in `dtype`, default float32)."""
    from diffusers import AutoencoderKL

    return _load(
        lambda: AutoencoderKL.from_pretrained(
            root, subfolder="vae", torch_dtype=dtype, use_safetensors=True, low_cpu_mem_usage=False
        ),
        root / "vae",
    )


def load_hifigan(root: Path, dtype=torch.float32):
    """Loads `root/vocoder` as a transformers `SpeechT5HifiGan` (in `dtype`, default float32)."""
    from transformers import SpeechT5HifiGan

    return _load(
        lambda: SpeechT5HifiGan.from_pretrained(root / "vocoder", dtype=dtype, use_safetensors=True),
        root / "vocoder",
    )


def _load(loader, folder: Path):
    try:
        return loader()
    except Exception as err:  # noqa: BLE001 - any failure here means the files are unusable
        reason = " ".join(str(err).split())[:300].rstrip(". ")
        raise IncompatibleModelError(
            f"could not load the weights in {folder} ({type(err).__name__}: {reason}); "
            f"re-download or re-save that folder (safetensors only: pickled .bin files are never loaded)"
        ) from err


def quiet_model_libraries() -> None:
    """No per-tensor progress bars or info chatter from diffusers/transformers (for CLIs)."""
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
    diffusers_logging.set_verbosity_error()
