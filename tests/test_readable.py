"""Numbers made for reading (`evals.reports.numbers.readable`) and the grouped headline table: no
exponent anywhere, percentages past 1000 % said in words, methods in their groups."""

import math

import pytest

from evals.reports.numbers import readable, with_unit
from evals.reports.readable import grouped, method_group


@pytest.mark.parametrize(
    "value, unit, shown",
    [
        (6.933e6, "%", "over 1000 %"),
        (-2e4, "%", "under -1000 %"),
        (347.2, "%", "347 %"),
        (5.72, "%", "5.7 %"),
        (1234.5, "", "1,234"),
        (16.84, "", "16.8"),
        (0.3543, "", "0.354"),
        (-1.494, "dB", "-1.49"),
        (1.23e-5, "", "1.2e-05"),
        (0.0, "", "0"),
        (None, "", "-"),
        (math.nan, "", "-"),
        (math.inf, "dB", "-"),
    ],
)
def test_readable_values(value, unit, shown):
    assert readable(value, unit) == shown


def test_no_exponent_between_a_thousandth_and_anything_large():
    for value in (0.001, 0.0123, 1.5, 99.9, 123.4, 9.9e3, 1.2e5, 3.2e7, 9.3e8):
        assert "e" not in readable(value) and "e" not in readable(-value)


def test_units_follow_the_number_and_percent_is_not_doubled():
    assert with_unit(-1.49, "dB") == "-1.49 dB" and with_unit(347.0, "%") == "347 %"
    assert with_unit(None, "dB") == "-" and with_unit(0.354, "") == "0.354"


def test_methods_fall_into_the_scorecard_groups_in_order():
    assert method_group("griffinlim") == "no model"
    assert method_group("opus:kbps=6") == method_group("codec2:mode=700C") == "other codecs"
    assert method_group("vae+hifigan:bits=4") == "the latent's rate ladder"
    assert method_group("vae+hifigan:quant=int8") == "rate sweep"
    assert method_group("vae+hifigan") == method_group("copysynth") == "VAE paths"
    assert (
        method_group("mel80+griffinlim-64it")
        == method_group("legacy+vae+griffinlim")
        == "the reports' methods"
    )
    assert method_group("vae+griffinlim:quant=int8") == "rate sweep"
    assert method_group("my-codec") == "other"
    names = ["vae+griffinlim:quant=int8", "legacy+vae+griffinlim", "vae+griffinlim", "griffinlim"]
    assert [g for g, _ in grouped(names)] == ["no model", "VAE paths", "the reports' methods", "rate sweep"]
