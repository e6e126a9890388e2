"""The rate ladder (`codec.latent_coding`): exact symbols through the range coder, bits that track the
entropy, a coder that beats lzma on the same symbols, and a model table that refuses what no writer made."""

from __future__ import annotations

import lzma
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codec.errors import ContainerError
from codec.latent_coding import (
    MAX_LIMIT,
    TABLE_ENTRY,
    ChannelModel,
    check_bits,
    fit_channels,
    from_symbols,
    pack_table,
    range_decode,
    range_encode,
    step_factor,
    to_symbols,
    unpack_table,
)
from tests.helpers import GOLDEN

CLIPS = [GOLDEN / "clips" / "speech_male_arctic_a0007.flac", GOLDEN / "clips" / "music_drums_amen.flac"]


@pytest.fixture(scope="module")
def real_latents() -> list[np.ndarray]:
    """The reference VAE's latents `[1, 8, 51, 16]` of two golden clips (speech, music)."""
    from codec.audio import to_mono_16k
    from codec.audio_files import read_audio
    from codec.pipeline import Codec

    codec = Codec.from_pretrained(str(GOLDEN / "reference"), vocoder="griffinlim", device="cpu")
    return [codec.encode(to_mono_16k(*read_audio(c)), 16000).latent.numpy() for c in CLIPS]


def test_decoding_gives_back_exactly_the_symbols():
    models = (
        ChannelModel(True, 0.5, 0.25, 0.5, 3),
        ChannelModel(False, -1.0),
        ChannelModel(True, 0, 1, 0.9, 40),
    )
    symbols = np.array([[3, -3, 0, 1, 2, -1], [0] * 6, [40, -40, 7, 0, -13, 39]], np.int32)
    data = range_encode(symbols, models)
    assert len(data) % 4 == 0 and np.array_equal(range_decode(data, models, 6), symbols)
    latent = from_symbols(symbols, models, (1, 3, 2, 3))
    assert latent[0, 1].tolist() == [[-1.0] * 3] * 2 and latent[0, 0, 0].tolist() == [1.25, -0.25, 0.5]


@st.composite
def models_and_symbols(draw):
    """Channels with random supports and decays, and symbols anywhere in each support."""
    count = draw(st.integers(1, 40))
    models, rows = [], []
    for _ in range(draw(st.integers(1, 5))):
        limit = draw(st.integers(0, MAX_LIMIT))
        theta = float(np.float32(draw(st.floats(0, 1, exclude_max=True))))
        coded = draw(st.booleans())
        models.append(ChannelModel(coded, 0.0, 1.0, theta, limit) if coded else ChannelModel(False, 0.0))
        bound = limit if coded else 0
        rows.append(draw(st.lists(st.integers(-bound, bound), min_size=count, max_size=count)))
    return tuple(models), np.array(rows, np.int32)


@settings(max_examples=60, deadline=None)
@given(models_and_symbols())
def test_any_symbols_in_their_supports_come_back_exactly(case):
    models, symbols = case
    assert np.array_equal(range_decode(range_encode(symbols, models), models, symbols.shape[1]), symbols)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 12),
    st.floats(1, 12),
    st.sampled_from([1e-3, 1.0, 1e3]),
)
def test_any_latent_quantises_within_half_a_step_and_codes_exactly(seed, rows, bits, spread):
    rng = np.random.default_rng(seed)
    latent = (rng.laplace(0, 1, (1, 4, rows, 16)) * spread * rng.uniform(0.3, 1, (1, 4, 1, 1))).astype(
        np.float32
    )
    models = fit_channels(latent, bits)
    symbols = to_symbols(latent, models)
    assert np.array_equal(range_decode(range_encode(symbols, models), models, rows * 16), symbols)
    assert unpack_table(pack_table(models), 4) == models
    back = from_symbols(symbols, models, latent.shape)
    for c, m in enumerate(models):
        error = np.abs(back[0, c] - latent[0, c]).max()
        assert error <= (m.step / 2 * (1 + 1e-4) + 1e-6 * spread if m.coded else np.ptp(latent[0, c])), c


def test_symbols_outside_the_declared_support_are_clipped_and_never_corrupt_the_stream():
    latent = np.zeros((1, 2, 1, 8), np.float32)
    latent[0, 0] = [0, 1, -1, 2, 0, 50, -1e6, 1]  # two outliers beyond a declared limit of 3
    latent[0, 1] = np.arange(8)
    models = (ChannelModel(True, 0.0, 1.0, 0.5, 3), ChannelModel(True, 0.0, 1.0, 0.9, 7))
    symbols = to_symbols(latent, models)
    assert symbols[0].tolist() == [0, 1, -1, 2, 0, 3, -3, 1] and symbols[1].tolist() == list(range(8))
    assert np.array_equal(range_decode(range_encode(symbols, models), models, 8), symbols)
    with pytest.raises(ContainerError, match="outside its declared support"):
        range_encode(np.array([[0, 4, 0, 0, 0, 0, 0, 0], symbols[1]], np.int32), models)
    with pytest.raises(
        ContainerError, match="outside its declared support"
    ):  # a dropped channel codes only 0
        range_encode(symbols, (models[0], ChannelModel(False, 0.0)))


def test_a_payload_that_is_not_the_coders_own_output_is_refused():
    models = (ChannelModel(True, 0.0, 1.0, 0.7, 20),)
    data = range_encode(np.arange(-10, 10, dtype=np.int32)[None], models)
    for bad, why in [
        (data + b"\0\0\0\0", "does not end where"),
        (data + b"\0", "whole 32-bit words"),
        (data[:-4], "does not end where|does not decode"),
        (b"\xff" * len(data), "does not end where|does not decode"),
    ]:
        with pytest.raises(ContainerError, match=why):
            range_decode(bad, models, 20)


def test_near_constant_channels_are_dropped_to_their_mean_and_cost_nothing():
    rng = np.random.default_rng(0)
    latent = rng.normal(0, 1, (1, 3, 5, 16)).astype(np.float32)
    latent[0, 1] = latent[0, 1] * 0.1 + 0.3  # spread 0.1 of the largest: dropped
    latent[0, 2] = 7.0  # constant
    models = fit_channels(latent, 4)
    assert [m.coded for m in models] == [True, False, False]
    assert models[1].mean == pytest.approx(latent[0, 1].mean()) and models[2] == ChannelModel(False, 7.0)
    symbols = to_symbols(latent, models)
    only_coded = range_encode(symbols, models)
    assert only_coded == range_encode(symbols[:1], models[:1])
    assert (from_symbols(symbols, models, latent.shape)[0, 1] == np.float32(models[1].mean)).all()
    flat = np.full((1, 2, 3, 16), -2.5, np.float32)
    assert range_encode(to_symbols(flat, fit_channels(flat, 8)), fit_channels(flat, 8)) == b""


def test_bits_track_the_entropy_and_the_coder_beats_lzma_on_real_latents(real_latents):
    """On the reference VAE's latents: the range-coded payload is within 0.3 bit per coded value of
    `bits` (1 to 12), the symbols' empirical entropy within 0.35 bit (1 to 6; beyond, 816 values per
    channel are too few to estimate it), and the payload is always smaller than lzma (xz preset 9) of
    the same symbols (int16, coded channels only)."""
    for latent in real_latents:
        for bits in (1, 2, 3, 4, 6, 8, 10, 12):
            models = fit_channels(latent, bits)
            coded = [c for c, m in enumerate(models) if m.coded]
            assert coded == [1, 4, 5, 6, 7]  # the reference VAE's near-constant channels: 0, 2, 3
            symbols = to_symbols(latent, models)
            values = symbols[coded].size
            payload = range_encode(symbols, models)
            floor = lzma.compress(symbols[coded].astype("<i2").tobytes(), preset=9)
            assert len(payload) < len(floor), (bits, len(payload), len(floor))
            assert abs(8 * len(payload) / values - bits) < 0.3, (bits, 8 * len(payload) / values)
            if bits <= 6:
                entropy = np.mean([_entropy(symbols[c]) for c in coded])
                assert abs(entropy - bits) < 0.35, (bits, entropy)


def _entropy(symbols: np.ndarray) -> float:
    _, counts = np.unique(symbols, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def test_the_step_is_the_documented_one():
    assert step_factor(0) == pytest.approx(math.sqrt(2 * math.pi * math.e))
    assert step_factor(4) == pytest.approx(4.1327 / 16, rel=1e-4)
    latent = np.random.default_rng(1).normal(0, 2, (1, 1, 40, 16)).astype(np.float32)
    (m,) = fit_channels(latent, 3)
    assert m.step == pytest.approx(latent.std() * step_factor(3), rel=1e-6)
    assert m.mean == pytest.approx(latent.mean(), abs=1e-6)


@pytest.mark.parametrize("bad", [0, 0.5, 12.5, -3, "four", None, float("nan"), float("inf")])
def test_bad_bits_are_refused_with_what_is_accepted(bad):
    with pytest.raises(ContainerError, match="bits must be a number from 1 to 12"):
        check_bits(bad)


GOOD = ChannelModel(True, 0.25, 0.5, 0.5, 10)


@pytest.mark.parametrize(
    "entry",
    [
        (2, 0.0, 0.0, 0.0, 0),  # unknown kind
        (1, math.nan, 0.5, 0.5, 10),
        (1, math.inf, 0.5, 0.5, 10),
        (1, 0.0, -0.5, 0.5, 10),  # negative step
        (1, 0.0, 0.0, 0.5, 10),
        (1, 0.0, math.nan, 0.5, 10),
        (1, 0.0, 0.5, math.nan, 10),
        (1, 0.0, 0.5, 1.0, 10),  # theta 1: no distribution
        (1, 0.0, 0.5, -0.1, 10),
        (1, 0.0, 0.5, 0.5, MAX_LIMIT + 1),  # beyond the largest support
        (1, 0.0, 3e38, 0.5, 10),  # mean + limit * step beyond float32
        (0, 0.0, 0.5, 0.0, 0),  # a dropped channel with parameters
        (0, 0.0, 0.0, 0.0, 3),
    ],
)
def test_a_table_no_writer_makes_is_refused(entry):
    data = pack_table((GOOD,)) + TABLE_ENTRY.pack(*entry)
    with pytest.raises(ContainerError, match="impossible model for latent channel 1"):
        unpack_table(data, 2)


def test_a_table_of_the_wrong_size_is_refused_and_a_good_one_reads_back():
    assert unpack_table(pack_table((GOOD, ChannelModel(False, -1.5))), 2) == (GOOD, ChannelModel(False, -1.5))
    with pytest.raises(ContainerError, match="2 channels need 30"):
        unpack_table(pack_table((GOOD,)), 2)


def test_the_model_table_is_built_from_products_only():
    """theta^|s| by repeated float64 products (no exp): encoder and decoder build the same table."""
    m = ChannelModel(True, 0.0, 1.0, float(np.float32(0.8)), 5)
    expected, value = [1.0], 1.0
    for _ in range(5):
        value *= m.theta
        expected.append(value)
    assert m.probabilities().tolist() == expected[:0:-1] + expected


def test_the_method_spec_sets_bits_and_reports_the_file_and_the_payload():
    """`vae+griffinlim:bits=3`: the clip goes through a version-2 file; num_bytes is the file, and
    payload_bytes the range-coded words and the channel table (the existing quant settings report theirs
    too)."""
    from codec.audio import to_mono_16k
    from codec.audio_files import read_audio
    from codec.container import payload_bytes
    from codec.errors import CodecError
    from codec.pipeline import Codec
    from evals.methods import METHODS, parse_method

    root = GOLDEN / "reference"
    wave = to_mono_16k(*read_audio(CLIPS[0]))
    codec = Codec.from_pretrained(str(root), vocoder="griffinlim", device="cpu")
    for spec, setting in [
        ("vae+griffinlim:bits=3,griffinlim_iters=2", dict(bits=3)),
        (
            "vae+griffinlim:quant=int8,entropy=lzma,griffinlim_iters=2",
            dict(quantisation="int8", entropy="lzma"),
        ),
    ]:
        name, params = parse_method(spec)
        coded = METHODS[name].build(root, "cpu", **params)(wave)
        data = codec.pack(codec.encode(wave, 16000), **setting)
        assert (coded.num_bytes, coded.payload_bytes, coded.nominal_kbps) == (
            len(data),
            payload_bytes(data),
            None,
        )
        assert coded.wave.shape == wave.shape and coded.payload_bytes < coded.num_bytes - 32
    for bad, message in [("bits=0.5", "bits must be a number"), ("bits=3,quant=int8", "drop quant=int8")]:
        with pytest.raises(CodecError, match=message):
            METHODS["vae+hifigan"].build(root, "cpu", **parse_method(f"vae+hifigan:{bad}")[1])
