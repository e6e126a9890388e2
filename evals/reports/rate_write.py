"""Writes a `RateReport` into its run folder: the figures (RUN/rate/), rate.md, then rate.json, each
atomically; rate.json last, marked `WRITTEN_BY`, so a complete write is one whose rate.json says so.

Files it did not write are never replaced without `force`: when any rate output (`RATE_OUTPUTS`) is
present, the folder's rate.json must carry the mark (an earlier `python -m evals rate` or scorecard
wrote them; they are rebuilt, as `summarize` rebuilds summary.md), else `RunError` names the file.
Figures an earlier write listed and this one does not make are removed; nothing else is.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from evals.reports.rate_report import RateReport, to_json
from evals.run_folder import (
    RATE_OUTPUTS,
    RunError,
    existing_outputs,
    rate_dir,
    rate_json_file,
    rate_md_file,
    write_atomic,
)

WRITTEN_BY = "python -m evals rate"


def _previous(run_dir: Path) -> dict | None:
    """The folder's rate.json when this writer made it, else None."""
    try:
        data = json.loads(rate_json_file(run_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("written_by") == WRITTEN_BY else None


def check_rate_outputs(run_dir: str | Path, *, force: bool) -> dict | None:
    """The previous write's rate.json (None when there was none, or with `force`).

    Raises:
        RunError: a rate output is present that this writer did not make, without `force`.
    """
    run_dir = Path(run_dir)
    previous = _previous(run_dir)
    present = existing_outputs(run_dir, RATE_OUTPUTS)
    if present and previous is None and not force:
        raise RunError(
            f"{present[0]} exists and was not written by `{WRITTEN_BY}`; pass --force to replace it "
            f"({', '.join(RATE_OUTPUTS)} are rewritten), or move it"
        )
    return previous


def write_rate(
    run_dir: str | Path, report: RateReport, *, force: bool = False, figures: bool = True
) -> RateReport:
    """Writes RUN/rate/ figures (when `figures`), rate.md and rate.json; returns the report with its
    `figures` (paths relative to the run folder, the overview first).

    Raises:
        RunError: see `check_rate_outputs`.
    """
    from evals.reports.rate_page import rate_markdown

    run_dir = Path(run_dir)
    previous = check_rate_outputs(run_dir, force=force)
    written = []
    if figures:
        from evals.reports.rate_figures import rate_figures

        written = [p.relative_to(run_dir).as_posix() for p in rate_figures(run_dir, report)]
    for stale in (previous or {}).get("figures", []):
        path = run_dir / stale
        if stale not in written and path.parent == rate_dir(run_dir) and path.is_file():
            path.unlink()
    report = replace(report, figures=tuple(written))
    write_atomic(rate_md_file(run_dir), rate_markdown(report, run_dir.name))
    data = {"written_by": WRITTEN_BY, **to_json(report)}
    write_atomic(rate_json_file(run_dir), json.dumps(data, indent=1) + "\n")
    return report
