"""The "Listening tests" section of a run's report.html: what `evals.listening.run_record` recorded in
RUN/listening-results/*.json, as table-model blocks. It reads the run folder's files only; the two
names it borrows from `evals.listening` (how a condition is named, how a score is written) are imported
where they are used, so that `evals.listening` may import the report (it re-renders it) without a cycle.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

FORMAT = "evals-listening-run-record"
VERSION = 1


def _interval(ci, digits: int) -> str:
    if not ci or any(v is None for v in ci):
        return "-"
    return f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def _blocks(data: dict) -> list:
    from evals.listening.analysis import display
    from evals.listening.report import _number
    from evals.reports.blocks import Bullets
    from evals.reports.table import Table, note, text

    kept, excluded = data["kept"], data["excluded"]
    confidence = f"{data['confidence']:.0%}"
    blocks: list = [
        text(
            f"{data['listeners']} listener(s) rated {data['clips']} clip(s) of {len(data['methods'])} "
            f"method(s); {len(kept)} kept, {len(excluded)} excluded by post-screening (ITU-R BS.1534-3). ",
            note(f"Analysed {data['analysed']}."),
        )
    ]
    if excluded:
        blocks.append(Bullets(tuple(f"excluded {e['listener']}: {e['reason']}" for e in excluded)))
    blocks.append(
        Table(
            ("condition", "listeners", "clips", "mean (0-100)", f"{confidence} interval"),
            tuple(
                (
                    display(s["condition"]),
                    s["listeners"],
                    s["clips"],
                    _number(s["mean"]),
                    _interval(s["ci"], 1),
                )
                for s in data["scores"]
            ),
            title=f"MUSHRA scores over all clips: the mean with its {confidence} interval (bootstrap over "
            f"listeners and clips, {data['resamples']} resamples).",
        )
    )
    blocks.append(
        Table(
            (
                "metric",
                "points",
                "Pearson r",
                f"{confidence} interval",
                "Spearman rho",
                f"{confidence} interval",
                "Kendall tau (methods)",
            ),
            tuple(
                (
                    a["metric"],
                    "<3 or constant" if a["n"] is None else a["n"],
                    _number(a["pearson"], 2),
                    _interval(a["pearson_ci"], 2),
                    _number(a["spearman"], 2),
                    _interval(a["spearman_ci"], 2),
                    _number(a["kendall_tau"], 2),
                )
                for a in data["agreement"]
            ),
            title="The metrics against the listeners, pooled over all clips: each point is one (clip, "
            "method), the metric against the listeners' mean score; a lower-is-better metric is negated, "
            "so +1 means agreement.",
        )
    )
    return blocks


def sections(run_dir: str | Path) -> list[dict]:
    """What report.html shows of each RUN/listening-results/*.json, oldest analysis first: `title`,
    `blocks`, `href` (the test's listening.md, relative to the page), `md` (its path as recorded) and
    `found` (whether it is there). A file that cannot be read shows as one line saying so."""
    from evals.reports.table import fail, text
    from evals.run_folder import listening_dir

    folder = listening_dir(run_dir)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or data.get("version") != VERSION:
                raise ValueError(f"format {data.get('format')!r} version {data.get('version')!r}")
            md = str(data["listening_md"])
            section = {
                "order": (str(data["analysed"]), str(data["test_id"])),
                "title": f"Test {data['test_id']}",
                "blocks": _blocks(data),
                "href": quote(md),
                "md": md,
                "found": (Path(run_dir) / md).is_file(),
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            section = {
                "order": ("", path.name),
                "title": path.name,
                "blocks": [text(fail(f"{path.name} cannot be read ({type(err).__name__}: {err})"))],
                "href": None,
                "md": "",
                "found": False,
            }
        found.append(section)
    return sorted(found, key=lambda s: s["order"])
