"""The suite's own options: `-n auto` runs the default suite in parallel and anything chosen with
`-m` (benchmarks, GPU, real weights) or `--update-golden` in one process."""

from types import SimpleNamespace

import pytest

import conftest


def _config(markexpr: str, update_golden: bool = False):
    options = {"--update-golden": update_golden}
    return SimpleNamespace(option=SimpleNamespace(markexpr=markexpr), getoption=options.__getitem__)


@pytest.mark.parametrize("cores, expected", [(1, 0), (2, 2), (3, 3), (64, conftest.MAX_TEST_PROCESSES)])
def test_the_default_suite_uses_one_process_per_core_up_to_the_cap(monkeypatch, cores, expected):
    monkeypatch.setattr(conftest.os, "cpu_count", lambda: cores)
    assert conftest.pytest_xdist_auto_num_workers(_config(conftest.DEFAULT_SELECTION)) == expected


@pytest.mark.parametrize(
    "markexpr", ["benchmark", "gpu", "weights", "slow", "benchmark and gpu"], ids=lambda m: f"-m {m}"
)  # an id "gpu" would be skipped as a GPU test
def test_a_chosen_selection_or_a_golden_update_runs_in_one_process(monkeypatch, markexpr):
    monkeypatch.setattr(conftest.os, "cpu_count", lambda: 8)
    assert conftest.pytest_xdist_auto_num_workers(_config(markexpr)) == 0
    updating = _config(conftest.DEFAULT_SELECTION, update_golden=True)
    assert conftest.pytest_xdist_auto_num_workers(updating) == 0


def test_the_default_selection_is_the_one_pyproject_gives():
    import tomllib

    pyproject = tomllib.loads((conftest.ROOT / "pyproject.toml").read_text())
    addopts = pyproject["tool"]["pytest"]["ini_options"]["addopts"]
    assert f"-m '{conftest.DEFAULT_SELECTION}'" in addopts and "-n auto" in addopts
