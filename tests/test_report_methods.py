"""The reports' methods: the legacy front end does what their code did, the latent
enhancements do what their names say, and every method runs to the input's length; and a test's own
methods are registered for a block and removed after it."""

from pathlib import Path

import librosa
import numpy as np
import pytest
import torch

from evals.methods import METHODS, Method, parse_method, registered
from evals.methods.latent_enhancements import contrast, hybrid, laplacian, noise
from evals.methods.legacy_frontend import legacy_inverse, legacy_mel
from tests.helpers import read_example


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    wave, _ = read_example("speech_male_arctic_a0007")
    return wave[0, :16000].copy()


def test_legacy_front_end_is_the_reports_db_mel_scaled_to_unit_range_transposed(speech):
    meta = legacy_mel(speech)
    assert meta.x.shape == (1, 1, 64, 16000 // 160 + 1)  # mel bins on dim 2: the transposed layout
    assert meta.x.min() == pytest.approx(-1.0) and meta.x.max() == pytest.approx(1.0)
    db = librosa.power_to_db(
        librosa.feature.melspectrogram(y=speech, sr=16000, n_mels=64, hop_length=160, n_fft=1024), ref=np.max
    )
    assert meta.high == pytest.approx(0.0) and meta.low == pytest.approx(db.min() / 20, rel=1e-5)


def test_legacy_inverse_restores_level_and_length(speech):
    meta = legacy_mel(speech)
    out = legacy_inverse(meta.x, meta, len(speech))
    assert out.shape == speech.shape
    assert 0.3 < np.abs(out).max() / np.abs(speech).max() < 3.0


def test_laplacian_boost_amplifies_detail_and_keeps_flat_latents():
    flat = torch.full((1, 8, 10, 16), 0.7)
    assert torch.allclose(laplacian(flat, gain=1.5), flat)
    z = torch.randn(1, 8, 10, 16, generator=torch.Generator().manual_seed(0))
    assert torch.equal(laplacian(z, gain=1.0), z)

    def detail(x):
        return (x - x.mean()).abs().mean()

    assert detail(laplacian(z, gain=1.5)) > detail(z)


def test_contrast_noise_and_hybrid():
    z = torch.randn(2, 8, 10, 16, generator=torch.Generator().manual_seed(1))
    stretched = contrast(z, factor=1.2)
    assert torch.allclose(stretched.mean(dim=(2, 3)), z.mean(dim=(2, 3)), atol=1e-5)
    assert torch.allclose(stretched.std(dim=(2, 3)), 1.2 * z.std(dim=(2, 3)), rtol=1e-4)
    assert torch.equal(noise(z, sigma=0.1, seed=3), noise(z, sigma=0.1, seed=3))
    assert (noise(z, sigma=0.1) - z).std() == pytest.approx(0.1 * float(z.std()), rel=0.05)
    assert torch.allclose(hybrid(z, gain=1.0, factor=1.0, sigma=0.0), z, atol=1e-6)


@pytest.mark.parametrize(
    "name",
    [
        "griffinlim-64it-plain",
        "mel80+griffinlim-32it",
        "vae+griffinlim+laplacian",
        "vae+griffinlim+noise",
        "vae+griffinlim+contrast",
        "vae+griffinlim+hybrid",
        "legacy+vae+griffinlim",
    ],
)
def test_every_report_method_returns_the_input_length(tiny_checkpoint, speech, name):
    method = METHODS[name]
    root = Path(tiny_checkpoint) if method.needs else None
    short = speech[:4000]  # the random tiny VAE makes librosa's NNLS slow on long legacy outputs
    out = method.build(root, "cpu", **method.params)(short)
    assert out.shape == short.shape and np.isfinite(out).all()


def test_method_parameters_parse_and_are_checked():
    assert parse_method("vae+griffinlim+laplacian:gain=2.5") == ("vae+griffinlim+laplacian", {"gain": 2.5})
    with pytest.raises(ValueError, match="takes"):
        parse_method("griffinlim:gain=2")
    with pytest.raises(ValueError, match="unknown method"):
        parse_method("wavenet")


def test_every_figure_of_report_003_and_002_has_its_method():
    from evals.gating.baselines import load_baselines

    named = {b["method"] for b in load_baselines() if b["method"]}
    assert named <= set(METHODS), named - set(METHODS)


def _copy(root, device):
    return lambda wave: wave


def test_registered_removes_exactly_what_it_added_and_refuses_a_taken_name():
    before = dict(METHODS)
    mine = Method("test-copy", "TEST: the input", (), _copy)
    with registered([mine]) as added:
        assert added == [mine] and METHODS["test-copy"] is mine
        assert parse_method("test-copy") == ("test-copy", {})
        with registered([mine, METHODS["griffinlim"]]) as again:  # already there as themselves: kept
            assert again == []
        assert METHODS["test-copy"] is mine
    assert METHODS == before
    with pytest.raises(RuntimeError), registered([mine]):
        raise RuntimeError("a failing block still removes its methods")
    assert METHODS == before
    taken = Method("griffinlim", "TEST: another method under a taken name", (), _copy)
    with pytest.raises(ValueError, match="'griffinlim' is already registered"), registered([mine, taken]):
        pass
    twin = Method("test-copy", "TEST: another method under the same name", (), _copy)
    with pytest.raises(ValueError, match="given twice"), registered([mine, twin]):
        pass
    assert METHODS == before  # a refused call adds nothing
