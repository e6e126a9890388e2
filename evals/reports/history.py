"""Quality history: `python -m evals history add RUN` and `python -m evals history`.

Speed has per-hardware benchmark history; this is the same for quality. Each entry is one JSON
file in the history folder (default golden/history/, committed), named NNNN_COMMIT_DATE.json:

    commit, dirty        the checkout that produced the run (dirty: uncommitted changes)
    hardware             the hardware key (evals.provenance.hardware_key)
    packages             library versions
    weights              per method, the weights fingerprint (sha256 of vae/ or vocoder/)
    class_means          method -> class ("*" = all clips) -> metric -> mean of the ok values
    values               method -> clip -> metric -> value (ok values only)

`history` shows the trend of each headline metric per method and class (all-clip means in the
table; PNG plot and HTML page beside it) and flags drift: the newest entry against an earlier one
(the first by default), clip by clip with compare's paired statistics (evals.reports.compare_paired).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from evals.gating.gates import class_means
from evals.gating.golden_set import GOLDEN_DIR, clip_classes
from evals.reports.blocks import markdown
from evals.reports.numbers import readable
from evals.reports.table import Table
from evals.run_folder import SUMMARY_FILE, summary_file

HISTORY_DIR = GOLDEN_DIR / "history"
SHOWN_ENTRIES = 8


def entries(folder: Path = HISTORY_DIR) -> list[Path]:
    """The entries in order (their names start with a running number)."""
    return sorted(folder.glob("[0-9][0-9][0-9][0-9]_*.json")) if folder.is_dir() else []


class AlreadyInHistory(ValueError):
    """`history add` of a run that an entry already holds."""


def check_not_added(run_dir: Path, summary: dict, folder: Path) -> None:
    """Raises `AlreadyInHistory` naming the entry when one already holds this run: the same run
    folder with the same summary (its `created` time)."""
    here = run_dir.resolve()
    for path in entries(folder):
        try:
            entry = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if (
            entry.get("run") is not None
            and Path(entry["run"]).resolve() == here
            and entry.get("run_created") == summary.get("created")
        ):
            raise AlreadyInHistory(
                f"{run_dir} is already in the history as {path.name}; not added again (a new run, or "
                "the same folder rerun and summarized, can be added)"
            )


def add(run_dir: str | Path, folder: Path = HISTORY_DIR) -> Path:
    """Appends the run in `run_dir` (summary.json + clips.jsonl) as the next entry; returns its path.
    A run already in the history is refused (`AlreadyInHistory`, `check_not_added`)."""
    from codec.atomic import atomic_write
    from evals.data_paths import source_checkout
    from evals.provenance import git_state, hardware_key
    from evals.reports.compare_paired import load_records

    run_dir = Path(run_dir)
    if not summary_file(run_dir).is_file():
        raise FileNotFoundError(f"no {SUMMARY_FILE} in {run_dir}: `history add` takes a run folder")
    summary = json.loads(summary_file(run_dir).read_text())
    check_not_added(run_dir, summary, folder)
    records = load_records(run_dir)
    commit, dirty = summary.get("commit"), summary.get("dirty")
    commit_source = "the run"
    if commit is None:  # a run from before runs recorded their commit: the checkout adding it
        commit, dirty = git_state(source_checkout())
        commit_source = "the checkout that added it (the run did not record one)"
    means = class_means(records, clip_classes())
    entry = {
        "schema": 1,
        "added": datetime.now(UTC).isoformat(timespec="seconds"),
        "run": str(run_dir),
        "run_created": summary.get("created"),
        "commit": commit,
        "dirty": dirty,
        "commit_from": commit_source,
        "hardware": hardware_key(),
        "packages": summary.get("environment", {}).get("packages", {}),
        "weights": {
            m: i.get("weights_sha256") for m, i in summary["methods"].items() if i.get("status") == "ran"
        },
        "class_means": {},
        "values": {},
    }
    for (method, cls, metric), (mean, _) in sorted(means.items()):
        if mean is not None:
            entry["class_means"].setdefault(method, {}).setdefault(cls, {})[metric] = round(mean, 6)
    for r in records:
        entry["values"].setdefault(r["method"], {})[r["clip"]] = {
            name: round(m["value"], 6) for name, m in r["metrics"].items() if m["status"] == "ok"
        }
    existing = entries(folder)
    number = int(existing[-1].name[:4]) + 1 if existing else 1
    stamp = datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
    path = folder / f"{number:04d}_{(commit or 'nogit')[:12]}{'-dirty' if dirty else ''}_{stamp}.json"
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(
        path, lambda tmp: Path(tmp).write_text(json.dumps(entry, separators=(",", ":")) + "\n"), force=False
    )
    return path


def as_records(entry: dict) -> list[dict]:
    """An entry's per-clip values as clips.jsonl-like records (every value ok)."""
    return [
        {
            "method": method,
            "clip": clip,
            "metrics": {name: {"value": v, "status": "ok", "reason": ""} for name, v in values.items()},
        }
        for method, clips in entry["values"].items()
        for clip, values in clips.items()
    ]


def trend_table(loaded: list[tuple[str, dict]], metrics: list[str] | None = None) -> Table:
    """Per method and metric (the headline metrics by default), the all-clip mean in each of the last
    entries."""
    from evals.metrics import headline_metrics

    shown = loaded[-SHOWN_ENTRIES:]
    rows = []
    for method in sorted({m for _, e in shown for m in e["class_means"]}):
        for metric in metrics or headline_metrics():
            cells = [readable(e["class_means"].get(method, {}).get("*", {}).get(metric)) for _, e in shown]
            if any(c != "-" for c in cells):
                rows.append([method, metric, *cells])
    return Table(("method", "metric", *[name[:4] for name, _ in shown]), rows)


def trend_plot(loaded: list[tuple[str, dict]], path: Path, metrics: list[str] | None = None) -> Path:
    """PNG: one panel per metric (the headline metrics by default), one line per method, all-clip means
    over the entries."""
    from codec.atomic import atomic_write
    from evals.metrics import headline_metrics
    from evals.reports.figures import _pyplot, panels

    metrics = metrics or headline_metrics()
    plt = _pyplot()
    fig, axes = panels(plt, len(metrics), (3.6, 3.2))
    x = list(range(1, len(loaded) + 1))
    methods = sorted({m for _, e in loaded for m in e["class_means"]})
    for ax, metric in zip(axes, metrics):
        for method in methods:
            y = [e["class_means"].get(method, {}).get("*", {}).get(metric) for _, e in loaded]
            if any(v is not None for v in y):
                ax.plot(x, [float("nan") if v is None else v for v in y], marker="o", label=method)
        ax.set_title(metric, fontsize=9)
        ax.set_xlabel("entry", fontsize=8)
        ax.tick_params(labelsize=7)
    labelled = {label: handle for ax in axes for handle, label in zip(*ax.get_legend_handles_labels())}
    if labelled:
        fig.legend(list(labelled.values()), list(labelled), fontsize=6, loc="lower center", ncol=4)
        fig.subplots_adjust(bottom=0.3)
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=80), force=True)
    plt.close(fig)
    return path


def drift(loaded: list[tuple[str, dict]], against: int = 0):
    """Paired rows of the newest entry against entry `against` (index into `loaded`), and unpaired."""
    from evals.reports.compare_paired import paired_compare

    return paired_compare(as_records(loaded[against][1]), as_records(loaded[-1][1]), clip_classes())


def show(folder: Path = HISTORY_DIR, out: Path | None = None, against: int | None = None) -> tuple[str, int]:
    """(markdown report, number of regressed rows); writes trend.png and history.html into `out`."""
    from evals.reports.compare_paired import paired_blocks

    paths = entries(folder)
    if not paths:
        raise FileNotFoundError(
            f"no history entries in {folder}: add one with `python -m evals history add RUN`"
        )
    loaded = [(p.name, json.loads(p.read_text())) for p in paths]
    index = (
        0 if against is None else next((i for i, (n, _) in enumerate(loaded) if int(n[:4]) == against), None)
    )
    if index is None:
        raise ValueError(f"no entry number {against} in {folder}")
    lines = [
        f"# Quality history: {len(loaded)} entries in {folder}",
        "",
        "All-clip means of the headline metrics, newest right:",
        "",
        trend_table(loaded).markdown(),
    ]
    rows, unpaired = drift(loaded, index)
    regressed = [r for r in rows if r.verdict == "regressed"]
    drift_blocks = paired_blocks(rows, unpaired, [])
    lines += [
        f"## Drift: entry {loaded[-1][0][:4]} against entry {loaded[index][0][:4]}",
        "",
        markdown(drift_blocks),
    ]
    text = "\n".join(lines)
    if out is not None:
        from codec.atomic import atomic_write
        from evals.reports.pages import render

        out.mkdir(parents=True, exist_ok=True)
        trend_plot(loaded, out / "trend.png")
        page = render(
            "history.html.j2",
            title="Quality history",
            n_entries=len(loaded),
            folder=str(folder),
            newest=loaded[-1][0][:4],
            against=loaded[index][0][:4],
            drift=drift_blocks,
        )
        atomic_write(
            out / "history.html", lambda tmp: Path(tmp).write_text(page, encoding="utf-8"), force=True
        )
    return text, len(regressed)
