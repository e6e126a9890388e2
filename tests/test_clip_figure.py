"""The clip figure is drawn once per process and updated for each clip: what it shows for a clip must
not depend on the clips drawn before it."""

from __future__ import annotations

import numpy as np

from evals.reports import figures
from tests.helpers import GOLDEN


def _clip(name: str) -> np.ndarray:
    from codec.audio import to_mono_16k
    from codec.audio_files import read_audio

    return to_mono_16k(*read_audio(GOLDEN / "clips" / f"{name}.flac"))


def _fresh(path, *args):
    figures._pyplot().close("all")
    figures._CLIP_FIGURE.clear()  # the next figure is made anew
    return figures.clip_figure(path, *args).read_bytes()


def test_an_updated_figure_is_the_fresh_figure_of_its_clip(tmp_path):
    short, long = _clip("speech_female_fullband_alsa_front_center"), _clip("music_drums_amen")
    clips = {
        "short": (0.5 * short + 0.01, short, {"low": 30.0, "mid": None, "high": 5000.0}, "short clip"),
        "long": (0.9 * long, long, {"low": 95.0, "mid": 101.0, "high": 2.0}, "a longer clip, other scales"),
    }
    for first, then in (("short", "long"), ("long", "short")):
        fresh = _fresh(tmp_path / "fresh.png", *clips[then])
        _fresh(tmp_path / "before.png", *clips[first])
        updated = figures.clip_figure(tmp_path / "updated.png", *clips[then]).read_bytes()
        assert updated == fresh, f"{then} drawn after {first} differs from {then} drawn alone"
        assert (tmp_path / "before.png").read_bytes() != fresh


def test_the_figure_shows_each_clip_on_its_own_scales(tmp_path):
    """The log-mel panels share the original's range, the difference a symmetric one, both per clip."""
    from evals.metrics.mel import _log_mels

    for name in ("music_drums_amen", "speech_female_fullband_alsa_front_center"):
        reference = _clip(name)
        estimate = 0.5 * reference + 0.01
        figures.clip_figure(tmp_path / f"{name}.png", estimate, reference, {}, name)
        est, ref = (m.numpy().T for m in _log_mels(estimate, reference))
        bound = float(np.abs(est - ref).max())
        clims = [image.get_clim() for image in figures._CLIP_FIGURE["images"]]
        assert clims == [(ref.min(), ref.max())] * 2 + [(-bound, bound)], (name, clims)
        assert figures._CLIP_FIGURE["images"][0].get_array().shape == ref.shape
