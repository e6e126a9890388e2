"""A listening test's results in the run it was built from (issue 31): RUN/listening-results/TEST.json,
one small file per test (`evals.run_folder.listening_file`), and the run's report.html re-rendered
with its section "Listening tests" (`evals.reports.listening_section.sections` renders each file).

`record` runs after the test folder's analysis is written and never fails it: when the run folder is
gone or no longer a run, is not writable, is held by a run in flight, or already holds this test's
results (replaced only with `--force`), it returns one line saying that the run's report was not
updated and why. report.html is re-rendered only where the run has one (from its summary.json, as
`python -m evals summarize` does, which also shows the recorded tests).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from evals.listening.analysis import ALL, Analysis
from evals.listening.folder import MD_FILE
from evals.listening.layout import Layout
from evals.listening.report import _finite
from evals.listening.stats import CONFIDENCE, RESAMPLES
from evals.reports.listening_section import FORMAT, VERSION

SECTION = "Listening tests"


def run_record(analysis: Analysis, layout: Layout, test_dir: str | Path, run_dir: str | Path) -> dict:
    """RUN/listening-results/TEST.json: who was kept, each condition's mean over all clips with its
    interval, and each headline metric's agreement with the listeners pooled over all clips."""
    test_dir = Path(test_dir).resolve()
    try:
        md = Path(os.path.relpath(test_dir / MD_FILE, Path(run_dir).resolve())).as_posix()
    except ValueError:  # another drive (Windows): no relative path
        md = (test_dir / MD_FILE).as_posix()
    tau = {r.metric: r.tau for r in analysis.ranking}
    agreement = []
    for a in analysis.agreement:
        if a.clip_class != ALL:
            continue
        c = a.correlation
        agreement.append(
            {
                "metric": a.metric,
                "n": c.n if c else None,
                "pearson": c.pearson if c else None,
                "pearson_ci": list(c.pearson_ci) if c else None,
                "spearman": c.spearman if c else None,
                "spearman_ci": list(c.spearman_ci) if c else None,
                "kendall_tau": tau.get(a.metric),
            }
        )
    return _finite(
        {
            "format": FORMAT,
            "version": VERSION,
            "test_id": analysis.test_id,
            "test_dir": str(test_dir),
            "listening_md": md,
            "analysed": datetime.now(UTC).isoformat(timespec="seconds"),
            "methods": list(layout.methods),
            "clips": len({t.clip for t in layout.trials}),
            "listeners": len(analysis.listeners),
            "kept": [k.listener for k in analysis.screening.kept],
            "excluded": [{"listener": e.listener, "reason": e.reason} for e in analysis.screening.excluded],
            "confidence": CONFIDENCE,
            "resamples": RESAMPLES,
            "scores": [
                {
                    "condition": s.condition,
                    "listeners": s.listeners,
                    "clips": s.clips,
                    "mean": s.mean,
                    "ci": list(s.ci),
                }
                for s in analysis.conditions
                if s.clip_class == ALL
            ],
            "agreement": agreement,
        }
    )


def record(analysis: Analysis, layout: Layout, test_dir: str | Path, force: bool = False) -> str:
    """Writes RUN/listening-results/TEST.json into the run `layout` came from and re-renders its
    report.html (when it has one); returns one line saying what was done, or that the run's report was
    not updated and why. Raises nothing for a missing, unwritable or busy run folder."""
    from evals.reports.html import run_report
    from evals.run_folder import (
        REPORT_FILE,
        RunError,
        hold,
        holds_run,
        listening_file,
        summary_file,
        write_atomic,
    )

    run_dir = Path(layout.run)
    not_updated = "note: the run's report was not updated: "
    if not run_dir.is_dir():
        return f"{not_updated}its run folder {run_dir} is gone"
    if not holds_run(run_dir):
        return f"{not_updated}{run_dir} no longer holds a run"
    path = listening_file(run_dir, analysis.test_id)
    written = False
    try:
        with hold(run_dir):
            if (path.exists() or path.is_symlink()) and not force:
                return f"{not_updated}{path} holds earlier results of this test; pass --force to replace them"
            path.parent.mkdir(exist_ok=True)
            data = run_record(analysis, layout, test_dir, run_dir)
            write_atomic(path, json.dumps(data, indent=1) + "\n")
            written = True
            report = run_dir / REPORT_FILE
            if not report.is_file():
                return f"recorded the results in {path}; the run has no {REPORT_FILE} to update"
            if not summary_file(run_dir).is_file():
                return (
                    f"{not_updated}{run_dir} has no summary.json (results recorded in {path}: "
                    f"`python -m evals summarize {run_dir}` renders the report with them)"
                )
            summary = json.loads(summary_file(run_dir).read_text(encoding="utf-8"))
            run_report(run_dir, summary)
    except RunError:
        return f"{not_updated}a run in flight holds {run_dir}; analyse again with --force once it ends"
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        done = f" (results recorded in {path})" if written else ""
        return f"{not_updated}{type(err).__name__}: {err}{done}"
    return f'updated {report} (section "{SECTION}"; results in {path})'
