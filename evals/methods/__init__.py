"""Reconstruction methods the runner and the scorecard can score, by name.

Every method maps a 16 kHz mono float32 waveform `[N]` at its original gain to a waveform `[N]`
at the same rate and gain, so all metrics compare like with like. A method that needs weights
says which subfolders (`vae`, `vocoder`); when they cannot be found the runner skips it with the
loader's reason. Parameters have defaults and can be set by name: `NAME:key=value,key=value`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from evals.methods.base import Coded, Method, Reconstruct  # noqa: F401  (the public names)
from evals.methods.baseline_codecs import BASELINE_LADDER, baseline_methods  # noqa: F401
from evals.methods.core import CONTAINER_PARAMS, RATE_SWEEP, core_methods  # noqa: F401
from evals.methods.report_methods import report_methods


def _all_methods() -> dict[str, Method]:
    return {m.name: m for m in core_methods() + report_methods() + baseline_methods()}


METHODS: dict[str, Method] = _all_methods()


def parse_method(spec: str) -> tuple[str, dict]:
    """`"name:key=value,key=value"` -> (name, params), values as float when they look numeric.

    Raises:
        ValueError: unknown method or parameter.
    """
    name, _, rest = spec.partition(":")
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose from {sorted(METHODS)}")
    params = {}
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep or key not in METHODS[name].params:
            raise ValueError(
                f"method {name!r} takes {sorted(METHODS[name].params) or 'no parameters'}; got {item!r}"
            )
        params[key] = float(value) if value.replace(".", "", 1).lstrip("-").isdigit() else value
    return name, params


def rate_sweep(specs: list[str], settings: tuple[str, ...] = RATE_SWEEP) -> list[str]:
    """Each method spec with a `quant` parameter, once per quantisation in `settings` (default
    `RATE_SWEEP`; others as given)."""
    out = []
    for spec in specs:
        name, _ = parse_method(spec)  # validates
        if "quant" not in METHODS[name].params:
            out.append(spec)
            continue
        rest = ",".join(i for i in spec.partition(":")[2].split(",") if i and not i.startswith("quant="))
        out += [f"{name}:quant={q}" + (f",{rest}" if rest else "") for q in settings]
    return out


def _check_free(method: Method) -> bool:
    """True when `method.name` is free, False when this same method holds it.

    Raises:
        ValueError: the name is taken by another method.
    """
    if method.name not in METHODS:
        return True
    if METHODS[method.name] is not method and METHODS[method.name] != method:
        raise ValueError(f"method {method.name!r} is already registered")
    return False


def register(method: Method) -> Method:
    """Adds a method (e.g. your own codec) under `method.name`; a `--plugin` module calls this on import.

    Raises:
        ValueError: the name is taken by another method.
    """
    _check_free(method)
    METHODS[method.name] = method
    return method


@contextmanager
def registered(methods: Iterable[Method]) -> Iterator[list[Method]]:
    """Registers `methods` for the block (a test's own methods); on exit removes exactly those it added.

    A method already registered as itself is left as it is (and stays after the block). Yields the
    methods it added.

    Raises:
        ValueError: a name is taken by another method; nothing is added then.
    """
    by_name: dict[str, Method] = {}
    for method in methods:
        if by_name.setdefault(method.name, method) != method:
            raise ValueError(f"method {method.name!r} is given twice, with different definitions")
    added = [m for m in by_name.values() if _check_free(m)]
    for method in added:
        register(method)
    try:
        yield added
    finally:
        for method in added:
            if METHODS.get(method.name) == method:  # not when the block gave the name to another
                del METHODS[method.name]
