"""Long audio in chunks: the windows tile, the front end is exact, and no stage leaves a seam.

The VAE's GroupNorm and mid-block attention see a whole window, so a chunked VAE cannot equal a
whole pass bit for bit; its tolerances were measured with the trained reference VAE (golden/),
where it matters: on 24 s of the golden clips, chunks of 1024 frames differ from one whole pass by
0.06 mean |log-mel| (natural log), 0.07 near the seams, against a reconstruction error of 0.33.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from codec.chunking import run_chunked, windows
from codec.frontend import log_mel
from codec.pipeline import Codec

VAE_MEAN_TOL = 0.08
"""Mean |log-mel| between chunked (1024 frames) and whole VAE round trips (measured 0.057)."""
VAE_SEAM_TOL = 0.10
"""The same, over the 16 frames around each seam (measured 0.073): no seam stands out."""
GL_SEED_RATIO = 1.2
"""Chunked Griffin-Lim may differ from whole by at most 1.2x what another seed differs by."""


@given(
    total_units=st.integers(1, 400),
    core_units=st.integers(1, 100),
    context_units=st.integers(0, 40),
    multiple=st.sampled_from([1, 4]),
)
def test_windows_tile_the_input_with_equal_windows_around_their_cores(
    total_units, core_units, context_units, multiple
):
    total, core, context = total_units * multiple, core_units * multiple, context_units * multiple
    plan = windows(total, core, context, multiple)
    assert plan[0].keep_start == 0 and plan[-1].keep_stop == total
    assert all(a.keep_stop == b.keep_start for a, b in zip(plan, plan[1:]))
    assert len({w.stop - w.start for w in plan}) == 1
    for w in plan:
        assert 0 <= w.start <= w.keep_start < w.keep_stop <= w.stop <= total
        assert all(v % multiple == 0 for v in (w.start, w.stop, w.keep_start, w.keep_stop))
        if len(plan) > 1:  # full context wherever the file allows it
            assert w.keep_start - w.start >= min(context, w.keep_start)
            assert w.stop - w.keep_stop >= min(context, total - w.keep_stop)


def test_windows_reject_boundaries_off_the_grid():
    with pytest.raises(ValueError, match="multiples of 4"):
        windows(102, 40, 8, multiple=4)


def test_run_chunked_with_a_local_stage_equals_one_pass():
    x = torch.randn(2, 1000, 3)
    stage = lambda t: torch.nn.functional.avg_pool1d(t.transpose(1, 2), 4).transpose(1, 2)  # noqa: E731
    out = run_chunked(stage, x, dim=1, out_dim=1, ratio=0.25, core=100, context=8, multiple=4, batch=3)
    torch.testing.assert_close(out, stage(x))


def test_chunked_log_mel_equals_the_whole_pass():
    wave = torch.randn(2, 16000 * 7 + 123) * 0.1
    whole = log_mel(wave)
    for chunk in (1, 97, 256, whole.shape[1] - 1):
        torch.testing.assert_close(log_mel(wave, chunk_frames=chunk), whole, atol=1e-5, rtol=0)


def test_chunked_hifigan_equals_the_whole_pass(tiny_checkpoint, tmp_path):
    """A HiFi-GAN with the real receptive field (kernels 3/7/11, dilations 1/3/5) is local:
    32 frames of context make chunks exact up to float rounding."""
    from codec.vae import VAE
    from codec.vocoders import HifiGanVocoder
    from tests.tiny_models import build_tiny_vae, build_tiny_vocoder

    vocoder = HifiGanVocoder(
        build_tiny_vocoder(resblock_kernel_sizes=[3, 7, 11], resblock_dilation_sizes=[[1, 3, 5]] * 3)
    )
    mel = torch.randn(1, 700, 64) - 4
    chunked = Codec(VAE(build_tiny_vae()), vocoder, chunk_frames=128).vocode(mel)
    torch.testing.assert_close(chunked, vocoder(mel), atol=2e-5, rtol=0)


@pytest.fixture(scope="module")
def golden_speech_and_music() -> np.ndarray:
    """24 s: the 12 golden clips back to back, 16 kHz mono."""
    from codec.audio import to_mono_16k
    from codec.audio_files import read_audio
    from evals.gating.golden_set import golden_clips

    parts = [to_mono_16k(*read_audio(e["path"])) for e in golden_clips().values()]
    return np.concatenate(parts).astype(np.float32)


def test_chunked_vae_round_trip_stays_within_tolerance_and_leaves_no_seam(
    golden_dir, golden_speech_and_music
):
    whole = Codec.from_pretrained(str(golden_dir / "reference"), vocoder="griffinlim", chunk_frames=8192)
    chunk = 1024
    chunked = Codec.from_pretrained(str(golden_dir / "reference"), vocoder="griffinlim", chunk_frames=chunk)
    mel_whole = whole.decode_mel(whole.encode(golden_speech_and_music, 16000).latent)
    mel_chunked = chunked.decode_mel(chunked.encode(golden_speech_and_music, 16000).latent)
    per_frame = (mel_whole - mel_chunked).abs().mean(dim=2)[0]
    seams = torch.cat([per_frame[s - 8 : s + 8] for s in range(chunk, per_frame.shape[0], chunk)])
    print(f"chunked vs whole VAE round trip: mean {per_frame.mean():.3f}, near seams {seams.mean():.3f}")
    assert per_frame.mean() <= VAE_MEAN_TOL
    assert seams.mean() <= VAE_SEAM_TOL


def test_chunked_griffinlim_differs_no_more_than_another_seed(golden_dir, golden_speech_and_music):
    from codec.vocoders import GriffinLimVocoder

    x = torch.from_numpy(golden_speech_and_music)[None]
    mel = log_mel(x[:, : 160 * 1500])
    whole = Codec.from_pretrained(str(golden_dir / "reference"), vocoder="griffinlim", chunk_frames=8192)
    chunked = Codec.from_pretrained(str(golden_dir / "reference"), vocoder="griffinlim", chunk_frames=512)
    reference = log_mel(whole.vocode(mel))
    chunk_diff = (log_mel(chunked.vocode(mel)) - reference).abs().mean()
    seed_diff = (log_mel(GriffinLimVocoder(seed=1)(mel)) - reference).abs().mean()
    print(f"Griffin-Lim: chunked vs whole {chunk_diff:.3f}, seed 1 vs seed 0 {seed_diff:.3f}")
    assert chunk_diff <= GL_SEED_RATIO * seed_diff
