"""The quality gates' verdict as one table: what fell short, and by how much."""

from __future__ import annotations

from evals.gating.gates import GateResult
from evals.reports.numbers import readable
from evals.reports.table import Table, fail


def gates_table(results: list[GateResult], failed_only: bool = True) -> Table:
    """What fell short, by how much (every gate when not `failed_only`)."""
    rows = []
    for r in results:
        if failed_only and r.passed:
            continue
        verdict = "pass" if r.passed else fail("FAIL: no ok value" if r.value is None else "FAIL")
        short = "-" if r.passed or r.shortfall is None else readable(r.shortfall)
        bound = f"{'>=' if r.kind == 'floor' else '<='} {readable(r.bound)}"
        rows.append([r.method, r.clip_class, r.metric, bound, readable(r.value), str(r.n_ok), short, verdict])
    return Table(("method", "class", "metric", "bound", "ours (mean)", "n_ok", "short by", "verdict"), rows)


def gate_table(results: list[GateResult], failed_only: bool = True) -> str:
    """`gates_table` in Markdown: one readable table."""
    return gates_table(results, failed_only).markdown()
