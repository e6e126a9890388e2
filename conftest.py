"""Test-suite options and the skips that say how to run what they skip.

pytest                                   # default CPU suite: tiny models, no download
pytest -m weights --weights=ID_OR_PATH   # real AudioLDM2 weights (or AUDIOLDM2_WEIGHTS=...)
pytest -m gpu                            # CUDA tests (real weights too, if found)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# No per-example deadline (model calls vary with machine load); CI runs a fixed, derandomized
# sample so a red CI is reproducible; `HYPOTHESIS_PROFILE=thorough` explores more.
settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", parent=settings.get_profile("default"), derandomize=True, database=None, print_blob=True
)
settings.register_profile("thorough", parent=settings.get_profile("default"), max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))

WEIGHTS_ENV = "AUDIOLDM2_WEIGHTS"
ROOT = Path(__file__).resolve().parent


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden/values/*.json from this run instead of comparing (review the diff)",
    )
    parser.addoption(
        "--weights",
        default=None,
        metavar="ID_OR_PATH",
        help=f"real AudioLDM2 weights (hub id in the local cache, or a folder with "
        f"vae/ and vocoder/); default ${WEIGHTS_ENV}, else cvssp/audioldm2-music "
        f"if it is in the hub cache",
    )


DEFAULT_SELECTION = "not benchmark and not slow"
"""The default run's `-m` (pyproject.toml's addopts)."""
MAX_TEST_PROCESSES = 4
"""`-n auto` uses at most this many processes: each runs torch and Dask on its own, and more than a
few on a big machine spend memory (about 1.6 GiB each at peak) for little time."""


def pytest_xdist_auto_num_workers(config) -> int:
    """Processes for `-n auto` (pyproject.toml's default): one per core, up to MAX_TEST_PROCESSES, for
    the default suite; none (one process, xdist off) for anything chosen with `-m` (benchmarks need
    a quiet machine, GPU and real-weights tests one device and one copy of the weights), for
    `--update-golden`, and on a single core."""
    cores = os.cpu_count() or 1
    chosen = (config.option.markexpr or "") != DEFAULT_SELECTION
    if chosen or config.getoption("--update-golden") or cores < 2:
        return 0
    return min(cores, MAX_TEST_PROCESSES)


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    if "benchmark" not in (config.option.markexpr or ""):  # e.g. `pytest -m gpu`: tests, not timings
        skip_bench = pytest.mark.skip(
            reason="benchmarks run only when selected: pytest -m benchmark (or python -m tests.benchmarks)"
        )
        for item in items:
            if item.get_closest_marker("benchmark"):
                item.add_marker(skip_bench)
    if any("gpu" in item.keywords for item in items) and not _cuda_available():
        skip = pytest.mark.skip(reason="needs a CUDA device: run `pytest -m gpu` on a GPU machine")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def real_weights(pytestconfig) -> str:
    """The real weights' id or folder, loaded only from local files; skips (with how-to) if absent.

    An explicitly named source that cannot be resolved is a failure, not a skip.
    """
    from codec.errors import WeightsNotFoundError
    from codec.loading import resolve_weights

    named = pytestconfig.getoption("--weights") or os.environ.get(WEIGHTS_ENV)
    source = named or "cvssp/audioldm2-music"
    saved = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"  # tests never download
    try:
        resolve_weights(source, ("vae", "vocoder"))
    except WeightsNotFoundError as err:
        if named:
            pytest.fail(f"--weights/{WEIGHTS_ENV} names {named!r}, which cannot be loaded: {err}")
        pytest.skip(
            f"needs the real AudioLDM2 weights: run `pytest -m weights --weights="
            f"ID_OR_PATH` (a folder with vae/ and vocoder/, or a hub id in the local "
            f"cache) or set {WEIGHTS_ENV}"
        )
    finally:
        if saved is None:
            del os.environ["HF_HUB_OFFLINE"]
        else:
            os.environ["HF_HUB_OFFLINE"] = saved
    return source


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """A hub-like folder (`vae/`, `vocoder/`) of small random models with AudioLDM2's layout."""
    from tests.tiny_models import save_tiny_checkpoint

    return save_tiny_checkpoint(tmp_path_factory.mktemp("tiny-audioldm2"))


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    """The golden folder the harness uses (evals/data_paths.py; the repository's golden/ here)."""
    from evals.gating.golden_set import GOLDEN_DIR

    return GOLDEN_DIR


@pytest.fixture(scope="module")
def temporary_methods():
    """`temporary_methods(method, ...)` registers a test's own methods (`evals.methods.registered`) until
    the end of the test module; a name taken by another method is refused. Module-scoped, so a
    module-scoped fixture can run them."""
    from contextlib import ExitStack

    from evals.methods import registered

    with ExitStack() as stack:

        def register(*methods):
            return stack.enter_context(registered(methods))

        yield register


@pytest.fixture(scope="session")
def update_golden(pytestconfig) -> bool:
    return bool(pytestconfig.getoption("--update-golden"))


def pytest_benchmark_update_machine_info(config, machine_info):
    """Benchmarks record the hardware key (CPU model, cores, GPU models) and library versions."""
    from tests.benchmarks.machine import machine_info as extra

    machine_info.update(extra())


def pytest_benchmark_compare_machine_info(config, benchmarksession, machine_info, compared_benchmark):
    """Runs from different hardware (another GPU model, another CPU) are never compared."""
    ours = machine_info.get("hardware_key")
    theirs = compared_benchmark["machine_info"].get("hardware_key")
    if ours != theirs:
        raise pytest.UsageError(
            f"refusing to compare benchmarks from different hardware: this run is "
            f"{ours!r}, the saved one {theirs!r}; compare runs of one machine only"
        )
