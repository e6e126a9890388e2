"""Finding and loading weights (codec.loading): folders, the hub cache, offline mode, bad files.

No test touches the network: hub look-ups run with HF_HUB_OFFLINE=1 against a temporary cache.
"""

import shutil

import pytest

from codec import Codec
from codec.errors import IncompatibleModelError, WeightsNotFoundError
from codec.loading import resolve_weights
from tests.tiny_models import build_tiny_vae, save_tiny_checkpoint


@pytest.fixture
def empty_hub_cache(tmp_path, monkeypatch):
    import huggingface_hub.constants as hub

    cache = tmp_path / "hub-cache"
    cache.mkdir()
    monkeypatch.setattr(hub, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return cache


def put_in_hub_cache(cache, repo_id: str, checkpoint) -> None:
    """Lays `checkpoint` out as huggingface_hub's cache does: refs/main -> snapshots/<sha>/."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    sha = "0123456789abcdef0123456789abcdef01234567"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(sha)
    shutil.copytree(checkpoint, repo / "snapshots" / sha)


def test_local_folder_in_hub_layout_loads(tiny_checkpoint):
    assert resolve_weights(str(tiny_checkpoint), ("vae", "vocoder")) == tiny_checkpoint
    codec = Codec.from_pretrained(str(tiny_checkpoint), device="cpu")
    assert codec.vocoder.name == "hifigan" and codec.model_id == str(tiny_checkpoint)


def test_hub_id_loads_from_the_local_cache_offline(empty_hub_cache, tiny_checkpoint):
    put_in_hub_cache(empty_hub_cache, "someone/tiny-audioldm2", tiny_checkpoint)
    codec = Codec.from_pretrained("someone/tiny-audioldm2", device="cpu")
    assert codec.model_id == "someone/tiny-audioldm2" and codec.vae.latent_channels == 8


def test_missing_hub_weights_say_where_they_looked_and_how_to_get_them(empty_hub_cache):
    with pytest.raises(WeightsNotFoundError) as caught:
        Codec.from_pretrained("cvssp/audioldm2-music", device="cpu")
    message = str(caught.value)
    for needle in [
        str(empty_hub_cache),
        "HF_HUB_OFFLINE is set",
        "hf download cvssp/audioldm2-music",
        "'vae/*' 'vocoder/*'",
        "--weights",
        "vae/config.json",
    ]:
        assert needle in message, f"{needle!r} missing from: {message}"


def test_missing_local_folder_is_not_mistaken_for_a_hub_id(tmp_path):
    with pytest.raises(WeightsNotFoundError, match="does not exist"):
        resolve_weights(str(tmp_path / "nope"), ("vae",))
    with pytest.raises(WeightsNotFoundError, match="does not exist"):
        resolve_weights("./relative/nope", ("vae",))


def test_griffinlim_needs_only_the_vae_and_hifigan_needs_the_vocoder(tmp_path):
    root = save_tiny_checkpoint(tmp_path / "vae-only", vocoder=False)
    assert Codec.from_pretrained(str(root), vocoder="griffinlim", device="cpu").vocoder.name == "griffinlim"
    with pytest.raises(WeightsNotFoundError, match="no vocoder/config.json"):
        Codec.from_pretrained(str(root), vocoder="hifigan", device="cpu")


@pytest.mark.parametrize("damage", ["truncate", "garbage", "delete"])
def test_corrupt_or_missing_weight_files_are_reported(tmp_path, damage):
    root = save_tiny_checkpoint(tmp_path / "ckpt")
    weights = root / "vae" / "diffusion_pytorch_model.safetensors"
    if damage == "truncate":
        weights.write_bytes(weights.read_bytes()[:1000])
    elif damage == "garbage":
        weights.write_bytes(b"not a safetensors file" * 10)
    else:
        weights.unlink()
    with pytest.raises(IncompatibleModelError, match=r"could not load the weights in .*vae"):
        Codec.from_pretrained(str(root), vocoder="griffinlim", device="cpu")


def test_pickled_weights_are_never_loaded(tmp_path):
    root = tmp_path / "pickled"
    model = build_tiny_vae()
    model.save_pretrained(root / "vae", safe_serialization=False)
    assert (root / "vae" / "diffusion_pytorch_model.bin").is_file()
    with pytest.raises(IncompatibleModelError, match="safetensors only"):
        Codec.from_pretrained(str(root), vocoder="griffinlim", device="cpu")


def test_a_vae_without_audioldm2s_interface_is_refused(tmp_path):
    build_tiny_vae(in_channels=2, out_channels=2).save_pretrained(tmp_path / "stereo" / "vae")
    with pytest.raises(IncompatibleModelError, match="1 input and 1 output channel"):
        Codec.from_pretrained(str(tmp_path / "stereo"), vocoder="griffinlim", device="cpu")
