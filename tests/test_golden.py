"""The golden set through every path that needs no real weights: golden values and quality gates.

The default run gates each code path (64-band and 80-band Griffin-Lim, with and without
momentum; and with the embedded reference models, the VAE with Griffin-Lim and with HiFi-GAN, the
HiFi-GAN copy-synthesis, and the int8 container row); `pytest -m slow` adds the
64/256-iteration grid of the reports. The reports' two mistakes (their front end, and the
transposed VAE input) must fail the VAE gate with a readable table.
"""

import pytest

from evals.gating.gates import check_gates, load_gates
from evals.gating.golden_set import (
    GOLDEN_GRID,
    GOLDEN_PATHS,
    GOLDEN_REFERENCE_PATHS,
    REFERENCE_DIR,
    clip_classes,
)
from evals.reports.gates_table import gate_table
from tests.golden_values import golden_differences, write_golden
from tests.helpers import golden_run
from tests.mutations import TRANSPOSED

REFERENCE_PATHS, PATHS, GRID = GOLDEN_REFERENCE_PATHS, GOLDEN_PATHS, GOLDEN_GRID


@pytest.fixture(scope="session")
def paths_run(tmp_path_factory):
    return golden_run(tmp_path_factory, PATHS)


@pytest.fixture(scope="session")
def grid_run(tmp_path_factory):
    return golden_run(tmp_path_factory, GRID)


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory):
    return golden_run(tmp_path_factory, REFERENCE_PATHS, weights=str(REFERENCE_DIR))


def check_values(run_result, method, update_golden, tag=""):
    rows, summary = run_result
    if update_golden:
        write_golden(method, rows, summary, tag)
        return
    problems = golden_differences(method, rows, tag)
    assert not problems, f"{method}: golden values moved:\n  " + "\n  ".join(problems[:40])


def check_paired_against_golden(run_result, methods, tag=""):
    """The run against the recorded golden values with compare's paired per-class statistics."""
    from evals.gating.golden_set import golden_records
    from evals.reports.compare_paired import paired_compare

    rows, _ = run_result
    for method in methods:
        recorded = golden_records(method, tag)
        assert recorded is not None, f"no golden values for {method}"
        paired, unpaired = paired_compare(
            recorded, [r for r in rows if r["method"] == method], clip_classes()
        )
        bad = [
            f"{r.metric} / {r.clip_class}: {r.mean_difference:+.4g} "
            f"(worse by {r.ci}, threshold {r.threshold:.3g})"
            for r in paired
            if r.verdict == "regressed"
        ]
        assert not bad and not unpaired["only_a"], f"{method}: regressed against golden: {bad} {unpaired}"


def check_method_gates(run_result, methods, model=None):
    rows, _ = run_result
    results = check_gates(rows, clip_classes(), load_gates(), set(methods), model=model)
    assert {r.method for r in results} == set(methods), "every gated method needs gates in golden/gates.json"
    failed = [r for r in results if not r.passed]
    if failed:
        pytest.fail(f"{len(failed)} of {len(results)} quality gates failed:\n" + gate_table(results))


@pytest.mark.parametrize("method", PATHS)
def test_golden_values(paths_run, method, update_golden):
    check_values(paths_run, method, update_golden)


def test_quality_gates(paths_run):
    check_method_gates(paths_run, PATHS)


def test_no_class_regressed_against_the_golden_values(paths_run, reference_run):
    check_paired_against_golden(paths_run, PATHS)
    check_paired_against_golden(reference_run, REFERENCE_PATHS, tag="reference")


@pytest.mark.slow
@pytest.mark.parametrize("method", GRID)
def test_golden_values_grid(grid_run, method, update_golden):
    check_values(grid_run, method, update_golden)


@pytest.mark.slow
def test_quality_gates_grid(grid_run):
    check_method_gates(grid_run, GRID)


def test_a_method_made_worse_fails_its_gates_with_a_readable_table(tmp_path_factory):
    rows, _ = golden_run(tmp_path_factory, ["griffinlim:n_iter=0"])  # random phase: no Griffin-Lim at all
    for row in rows:
        row["method"] = "griffinlim"
    results = check_gates(rows, clip_classes(), load_gates(), {"griffinlim"})
    failed = [r for r in results if not r.passed]
    assert len(failed) >= 6, gate_table(results)
    table = gate_table(results)
    assert table.splitlines()[0].startswith("| method | class | metric | bound | ours (mean)")
    assert "FAIL" in table and "pesq_wb" in table and "| griffinlim |" in table


def test_gates_of_a_partly_run_class_are_not_checked(paths_run):
    rows, _ = paths_run
    speech_male = [c for c, cls in clip_classes().items() if cls == "speech_male"]
    partial = [r for r in rows if r["method"] == "griffinlim" and r["clip"] != speech_male[0]]
    results = check_gates(partial, clip_classes(), load_gates(), {"griffinlim"})
    assert results and not any(r.clip_class == "speech_male" for r in results)


@pytest.mark.parametrize("method", REFERENCE_PATHS)
def test_golden_values_reference(reference_run, method, update_golden):
    check_values(reference_run, method, update_golden, tag="reference")


def test_quality_gates_reference(reference_run):
    check_method_gates(reference_run, REFERENCE_PATHS, model="reference")


def failing_vae_gates(tmp_path_factory, method: str):
    """Runs `method` with the reference models and scores it against vae+griffinlim's gates."""
    rows, _ = golden_run(tmp_path_factory, [method], weights=str(REFERENCE_DIR))
    for row in rows:
        row["method"] = "vae+griffinlim"
    results = check_gates(rows, clip_classes(), load_gates(), {"vae+griffinlim"}, model="reference")
    return results, [r for r in results if not r.passed]


def test_the_reports_front_end_fails_the_vae_gate(tmp_path_factory):
    results, failed = failing_vae_gates(tmp_path_factory, "legacy+vae+griffinlim")
    table = gate_table(results)
    print(f"legacy front end: {len(failed)} of {len(results)} vae+griffinlim gates fail\n{table}")
    assert len(failed) >= len(results) // 3 and "log_mel_l1" in table and "FAIL" in table


def test_the_transposed_vae_input_fails_the_vae_gate(tmp_path_factory, temporary_methods):
    temporary_methods(TRANSPOSED)
    results, failed = failing_vae_gates(tmp_path_factory, TRANSPOSED.name)
    table = gate_table(results)
    print(f"transposed input: {len(failed)} of {len(results)} vae+griffinlim gates fail\n{table}")
    assert len(failed) >= len(results) // 3 and "log_mel_l1" in table and "FAIL" in table
