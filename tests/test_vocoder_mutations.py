"""Vocoder-side mistakes must fail: each one, made on purpose, fails copysynth's gates or a test.

The mutants (tests/mutations.py) are copy-synthesis with the embedded reference vocoder and one
mistake each: the `160 T + 32` output not trimmed, the log-mel's channels-first data forced past
the layout guard, the output taken for the wrong sample rate, a float16 vocoder on a CPU. The
test prints the copy-synthesis row of each beside the correct one, then the failing gates.
"""

import pytest
import torch

from codec.errors import IncompatibleModelError
from evals.gating.gates import check_gates, load_gates
from evals.gating.golden_set import REFERENCE_DIR, clip_classes
from evals.reports.gates_table import gate_table
from evals.reports.numbers import readable
from evals.reports.table import Table
from tests.helpers import golden_run
from tests.mutations import VOCODER_MUTANTS

GATE_SHARE = 3
"""A mistake must fail at least a third of copysynth's reference gates (measured: all of them)."""


@pytest.fixture(scope="module")
def mutant_rows(tmp_path_factory, temporary_methods):
    temporary_methods(*VOCODER_MUTANTS)
    rows, _ = golden_run(
        tmp_path_factory, ["copysynth"] + [m.name for m in VOCODER_MUTANTS], weights=str(REFERENCE_DIR)
    )
    print("copy-synthesis, correct and with each mistake:\n" + mistake_table(rows).markdown())
    return rows


def mistake_table(rows) -> Table:
    """One row per method: means of the ok values, clips ok, x real time, the first error."""
    metrics = ("log_mel_l1", "pesq_wb", "stoi")
    table = []
    for method in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == method]
        means = []
        for name in metrics:
            ok = [r["metrics"][name]["value"] for r in mine if r["metrics"][name]["status"] == "ok"]
            means.append(readable(sum(ok) / len(ok)) if ok else "-")
        speed = sum(r["seconds"] for r in mine) / max(sum(r["reconstruct_seconds"] or 0 for r in mine), 1e-9)
        error = next((r["reason"] for r in mine if r["status"] != "ok"), "")
        clips_ok = f"{sum(r['status'] == 'ok' for r in mine)} of {len(mine)}"
        table.append([method, *means, clips_ok, readable(speed), error[:90]])
    return Table(("method", *metrics, "clips ok", "x real time", "first error"), table)


def gates_as_copysynth(rows, method):
    """`method`'s rows scored against copysynth's reference gates."""
    renamed = [{**r, "method": "copysynth"} for r in rows if r["method"] == method]
    results = check_gates(renamed, clip_classes(), load_gates(), {"copysynth"}, model="reference")
    assert results, "copysynth needs reference gates in golden/gates.json"
    return results, [r for r in results if not r.passed]


def test_correct_copysynth_passes_its_gates(mutant_rows):
    results, failed = gates_as_copysynth(mutant_rows, "copysynth")
    assert not failed, gate_table(results)


@pytest.mark.parametrize("mistake", ["no-trim", "channels-first", "wrong-rate"])
def test_a_vocoder_mistake_fails_the_copysynth_gates(mutant_rows, mistake):
    results, failed = gates_as_copysynth(mutant_rows, f"copysynth+{mistake}")
    table = gate_table(results)
    print(f"{mistake}: {len(failed)} of {len(results)} copysynth gates fail\n{table}")
    assert len(failed) >= len(results) // GATE_SHARE and "FAIL" in table


def test_the_untrimmed_vocoder_output_is_refused_with_the_reason(mutant_rows):
    errors = {r["reason"] for r in mutant_rows if r["method"] == "copysynth+no-trim"}
    assert all(e and "160 T + 32" in e for e in errors), errors


def test_a_half_precision_vocoder_on_cpu_is_refused():
    from codec.loading import load_hifigan
    from codec.vocoders import HifiGanVocoder

    vocoder = HifiGanVocoder(load_hifigan(REFERENCE_DIR, torch.float16), torch.float16)
    with pytest.raises(IncompatibleModelError, match="float16 HiFi-GAN on a CPU"):
        vocoder(torch.zeros(1, 20, 64) - 5)


def test_half_precision_forced_on_cpu_changes_quality_little_but_costs_time(mutant_rows):
    """Why it is refused rather than gated: the forced float16 row passes the gates (same quality), so
    only the guard above catches it; the row shows the time it costs."""
    results, failed = gates_as_copysynth(mutant_rows, "copysynth+half-on-cpu")
    assert not failed, gate_table(results)
