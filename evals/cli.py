"""`python -m evals run | score | summarize | rate | compare | history | metrics | scorecard | gates |
listen | listening`.

Heavy imports wait until the arguments parse."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from evals.listening import cli as listening_cli
from evals.run_folder import CLIPS_FILE, SCORECARD_MD_FILE, clips_file, summary_file

if TYPE_CHECKING:
    from evals.running.config import RunConfig

EXIT_REGRESSION = 1
EXIT_ERROR = 2
FORCE_HELP = (
    "replace the previous run's outputs in OUTDIR (removed first; other files and the inputs are never "
    "touched)"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evals", description="Score the AudioLDM2 VAE codec.")
    parser.add_argument(
        "--golden-dir",
        metavar="FOLDER",
        help="the golden data (set, values, gates, reference "
        "models) to use instead of the installed one; also AUDIOLDM2_GOLDEN_DIR",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="reconstruct inputs with methods, score them, write a run folder")
    run.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files or folders")
    run.add_argument(
        "--method",
        "-m",
        action="append",
        dest="methods",
        metavar="NAME",
        help="method to run (repeatable); default: all. See `python -m evals metrics`",
    )
    run.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="run folder to write")
    run.add_argument(
        "--weights", metavar="ID_OR_PATH", help="hub id or folder (default cvssp/audioldm2-music)"
    )
    run.add_argument("--device", default="auto")
    run.add_argument("--no-audio", action="store_true", help="do not write reconstructed audio")
    run.add_argument("--force", action="store_true", help=FORCE_HELP)
    run.add_argument(
        "--resume",
        action="store_true",
        help="finish a run in OUTDIR: skip every (clip, method, weights) already recorded ok",
    )
    run.add_argument(
        "--plugin",
        action="append",
        dest="plugins",
        metavar="MODULE",
        help="import MODULE on the driver and every worker first (it may register methods)",
    )
    run.add_argument(
        "--batch",
        type=int,
        default=1,
        metavar="N",
        help="clips per reconstruction task (default 1; more on a GPU worker)",
    )
    _engine_options(run)
    run.add_argument("--no-progress", action="store_true")
    run.add_argument("--no-report", action="store_true", help="no figures and no report.html")
    run.add_argument(
        "--metric",
        action="append",
        dest="metrics",
        metavar="NAME",
        help="metric to compute (repeatable); default: all. See `python -m evals metrics`",
    )
    run.add_argument(
        "--rate-sweep",
        action="store_true",
        help="run each VAE method through the .al2c container at float32, float16 and int8 "
        "and report kbit/s beside quality",
    )
    score = sub.add_parser(
        "score",
        help="score outputs decoded elsewhere (any codec) against references, "
        "paired by relative path; writes a run folder like `run`",
    )
    score.add_argument("reference_dir", metavar="REFERENCE_DIR", help="folder of original audio")
    score.add_argument(
        "estimate_dir", metavar="ESTIMATE_DIR", help="folder of decoded audio, same relative paths"
    )
    score.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="run folder to write")
    score.add_argument(
        "--name",
        help="method name in the records and audio/ folder (default: ESTIMATE_DIR's folder name); "
        "no path separator, not '.', '..' or 'reference'",
    )
    score.add_argument(
        "--delay",
        type=int,
        default=None,
        metavar="SAMPLES",
        help="the codec's delay at 16 kHz (default: found from strong correlation peaks, else 0)",
    )
    score.add_argument("--metric", action="append", dest="metrics", metavar="NAME", help="default: all")
    _engine_options(score)
    score.add_argument("--no-audio", action="store_true", help="do not copy the 16 kHz pairs into the run")
    score.add_argument("--force", action="store_true", help=FORCE_HELP)
    score.add_argument("--no-progress", action="store_true")
    score.add_argument("--no-report", action="store_true", help="no figures and no report.html")
    cmp = sub.add_parser(
        "compare",
        help="compare two runs clip by clip (paired, per class, with intervals); exit 1 on a regression",
    )
    cmp.add_argument("a", metavar="A", help="baseline run folder (or summary.json: means only)")
    cmp.add_argument("b", metavar="B", help="new run folder (or summary.json: means only)")
    cmp.add_argument(
        "--fail-class",
        action="append",
        metavar="CLASS",
        help="only these classes (repeatable; '*' = all clips together) can fail; default: all",
    )
    cmp.add_argument(
        "--fail-metric",
        action="append",
        metavar="NAME",
        help="only these metrics can fail (repeatable); default: all",
    )
    cmp.add_argument(
        "--show",
        choices=("changed", "all"),
        default="changed",
        help="rows to print: all but 'unchanged' (default), or all",
    )
    cmp.add_argument("--html", metavar="OUT.html", help="also write both runs side by side as a page")
    cmp.add_argument("--force", action="store_true", help="overwrite OUT.html")
    cmp.add_argument(
        "--tolerance-scale",
        type=float,
        default=1.0,
        help="multiply every metric's tolerance (0 = any worsening fails)",
    )
    hist = sub.add_parser(
        "history",
        help="quality history: `history add RUN` appends a run; `history` shows "
        "the trend and flags drift (exit 1 on a regression)",
    )
    hist.add_argument("action", nargs="*", metavar="add RUN", help="`add RUN_DIR` to append; nothing to show")
    hist.add_argument("--dir", default=None, metavar="FOLDER", help="history folder (default golden/history)")
    hist.add_argument("-o", "--output", metavar="OUTDIR", help="also write trend.png and history.html there")
    hist.add_argument(
        "--against",
        type=int,
        default=None,
        metavar="N",
        help="entry number the newest is compared with (default: the first)",
    )
    summ = sub.add_parser(
        "summarize",
        help="rebuild summary.json, summary.md and report.html of a run folder "
        "from its clips.jsonl (during or after a run)",
    )
    summ.add_argument("run_dir", metavar="RUN", help="run folder")
    summ.add_argument("--no-report", action="store_true", help="no report.html")
    rate = sub.add_parser(
        "rate",
        help="rate-quality of a run: curves per codec family and class, BD-rate of each VAE family "
        "against Opus (with intervals), figures; writes rate.md, rate.json and rate/ in the run folder",
    )
    rate.add_argument("run_dir", metavar="RUN", help="run folder")
    rate.add_argument(
        "--file-rate",
        action="store_true",
        help="x = the whole file's kbit/s (Ogg pages, tags, headers included) instead of the payload's: "
        "what the codec needs to decode, its container's framing left out (the default; docs/rate.md)",
    )
    rate.add_argument(
        "--resamples",
        type=_positive_int,
        default=None,
        metavar="N",
        help="bootstrap resamples of the BD-rate intervals (default 1000)",
    )
    rate.add_argument(
        "--force",
        action="store_true",
        help="replace rate.md, rate.json and rate/ figures that `python -m evals rate` did not write",
    )
    sub.add_parser("metrics", help="list the registered metrics and methods")
    card = sub.add_parser(
        "scorecard",
        help="every method on the bundled golden set, with gates and the reports' figures (the main job)",
    )
    card.add_argument("-o", "--output", metavar="OUTDIR", help="default runs/scorecard-<UTC time>")
    card.add_argument("--weights", metavar="ID_OR_PATH", help="default: the best model found (see README)")
    card.add_argument("--method", "-m", action="append", dest="methods", metavar="NAME", help="default: all")
    card.add_argument(
        "--clip",
        action="append",
        dest="clips",
        metavar="ID",
        help="golden clip id (repeatable); default: the whole golden set",
    )
    card.add_argument("--device", default="auto")
    _engine_options(card)
    card.add_argument("--no-audio", action="store_true")
    card.add_argument("--force", action="store_true", help=FORCE_HELP)
    card.add_argument("--no-progress", action="store_true")
    card.add_argument("--no-report", action="store_true", help="no figures and no scorecard.html")
    card.add_argument(
        "--full-ladder",
        action="store_true",
        help="every baseline codec's rate ladder and eight latent points per VAE path instead of the "
        "default scorecard's few (docs/rate.md); 30 methods more",
    )
    card.add_argument(
        "--metric",
        action="append",
        dest="metrics",
        metavar="NAME",
        help="metric to compute (repeatable); default: all but visqol_audio_16k (docs/rate.md)",
    )
    gates = sub.add_parser("gates", help="re-derive gate bounds from a run (writes golden/gates.json)")
    gates.add_argument("--derive", required=True, metavar="RUN_DIR", help="a run folder on the golden set")
    gates.add_argument(
        "--method",
        "-m",
        action="append",
        dest="methods",
        metavar="NAME",
        help="methods to re-derive (default: every method that ran)",
    )
    gates.add_argument(
        "--model",
        choices=("audioldm2", "reference"),
        default=None,
        help="which weights the run used (default: reference if the run used golden/reference)",
    )
    listening_cli.add_parsers(sub)  # issue 31: `listen` and `listening`
    return parser


def _positive_int(text: str) -> int:
    """--jobs: a whole number of workers, at least 1 (left out: every core)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (leave it out for every core); got {value}")
    return value


def _engine_options(parser) -> None:
    group = parser.add_argument_group("engine (Dask; see docs/scale.md)")
    group.add_argument(
        "--jobs",
        "--workers",
        type=_positive_int,
        default=None,
        dest="jobs",
        metavar="N",
        help="workers of a local engine (default: every core)",
    )
    group.add_argument(
        "--engine",
        choices=("in-process", "local"),
        default=None,
        help="in-process: one thread in this process, no start-up; local: a LocalCluster of "
        "worker processes (default: in-process for at most 64 records, else local)",
    )
    group.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing cluster (tcp://HOST:PORT)")
    group.add_argument(
        "--scheduler-file", metavar="FILE", help="run on an existing cluster (its scheduler file)"
    )


def run_config(args, outdir: Path | None = None) -> RunConfig:
    """The one configuration of `run`, `score` or `scorecard`, from their parsed arguments (`outdir`:
    instead of `-o`)."""
    from evals.running.config import RunConfig
    from evals.running.engine import scheduler_address

    if args.scheduler_file:  # refused before the output folder is touched; Dask would wait for it
        scheduler_address(args.scheduler_file)

    def get(name: str, default=None):  # options a command lacks
        return getattr(args, name, default)

    return RunConfig(
        outdir=outdir or Path(args.output),
        inputs=get("inputs") or (),
        methods=get("methods") or (),
        weights=get("weights"),
        device=get("device", "cpu"),
        metrics=get("metrics"),
        plugins=get("plugins") or (),
        batch=get("batch", 1),
        save_audio=not args.no_audio,
        report=not args.no_report,
        force=args.force,
        resume=get("resume", False),
        progress=not args.no_progress,
        argv=sys.argv,
        engine=args.engine,
        jobs=args.jobs,
        scheduler=args.scheduler,
        scheduler_file=args.scheduler_file,
    )


def _run(args) -> int:
    from codec.loading import quiet_model_libraries
    from evals.methods import METHODS, rate_sweep
    from evals.reports.markdown import (
        baselines_table,
        delay_table,
        rate_quality_table,
        results_table,
        skipped_table,
    )
    from evals.running.runner import run

    quiet_model_libraries()
    methods = args.methods or list(METHODS)
    if args.rate_sweep:
        methods = rate_sweep(methods)
    config = replace(run_config(args), methods=methods)
    for module in config.plugins:  # a plugin's methods may need weights too
        __import__(module)
    if any(METHODS[m.split(":")[0]].needs for m in methods if m.split(":")[0] in METHODS):
        from evals.scorecard import best_model

        weights, model = best_model(args.weights)  # the scorecard's rule: the best model found
        print(f"model: {model}", file=sys.stderr, flush=True)
        config = replace(config, weights=weights)
    summary = run(config)
    print(results_table(summary))
    print(rate_quality_table(summary))
    print(skipped_table(summary))
    print(delay_table(summary))
    figures = baselines_table(summary, matched_only=True)
    if any(b["ours"] is not None for b in summary.get("baselines", [])):  # no empty table
        print("The reports' figures beside ours (one 5 s generated clip, their wrong front end):\n")
        print(figures)
    print(
        f"wrote {args.output}/summary.json, summary.md, {CLIPS_FILE}"
        + ("" if args.no_audio else ", audio/")
        + ("" if args.no_report else ", figures/, report.html")
    )
    return _nothing_scored(summary)


def _nothing_scored(summary: dict) -> int:
    """EXIT_REGRESSION, with one line on stderr, when no record of the run is ok (every method skipped,
    or every record an error); else 0."""
    ran = {m: i for m, i in summary["methods"].items() if i.get("status") == "ran"}
    if any((i.get("timing") or {}).get("clips") for i in ran.values()):
        return 0
    if not ran:
        why = (
            "every method was skipped ("
            + "; ".join(f"{m}: {i.get('reason', i.get('status'))}" for m, i in summary["methods"].items())
            + ")"
        )
    else:
        why = f"every record of {', '.join(ran)} is an error (see summary.md and {CLIPS_FILE})"
    print(f"error: nothing was scored: {' '.join(why.split())}", file=sys.stderr)
    return EXIT_REGRESSION


def _score(args) -> int:
    from evals.reports.markdown import delay_table, results_table
    from evals.running.external import Folders, score_folders

    folders = Folders(Path(args.reference_dir), Path(args.estimate_dir), name=args.name, delay=args.delay)
    summary = score_folders(run_config(args), folders)
    print(results_table(summary))
    print(delay_table(summary))
    info = next(iter(summary["methods"].values()))
    for path in info["unmatched_estimates"]:
        print(f"warning: not scored, no reference pairs with it: {path}", file=sys.stderr)
    print(
        f"wrote {args.output}/summary.json, summary.md, {CLIPS_FILE}"
        + ("" if args.no_report else ", report.html")
    )
    return _nothing_scored(summary)


def _compare(args) -> int:
    from evals.reports.compare_means import compare, compare_markdown, load_summary

    if all(Path(p).is_dir() and clips_file(p).is_file() for p in (args.a, args.b)):
        return _paired_compare(args)
    print(
        "note: a summary.json was given, so only means are compared (no pairs, no intervals); "
        "pass run folders for the paired comparison",
        file=sys.stderr,
    )
    a, b = load_summary(args.a), load_summary(args.b)
    rows = compare(a, b, args.tolerance_scale)
    if not rows:
        print("error: the two runs share no method that ran in both", file=sys.stderr)
        return EXIT_ERROR
    print(compare_markdown(rows))
    if args.html:
        from codec.atomic import check_output
        from evals.reports.compare_means import compare_table
        from evals.reports.html import ComparedRun, ComparePage, compare_report

        out = check_output(Path(args.html), force=args.force)
        folder = {p: Path(p) if Path(p).is_dir() else Path(p).parent for p in (args.a, args.b)}
        page = compare_report(
            out,
            ComparePage(
                ComparedRun(folder[args.a], a),
                ComparedRun(folder[args.b], b),
                [compare_table(rows)],
                sum(r["regression"] for r in rows),
            ),
        )
        print(f"wrote {page}")
    regressions = [r for r in rows if r["regression"]]
    print(f"{len(regressions)} regression(s) in {len(rows)} comparisons")
    return EXIT_REGRESSION if regressions else 0


def _paired_compare(args) -> int:
    from evals.gating.golden_set import clip_classes
    from evals.reports.compare_means import load_summary
    from evals.reports.compare_paired import (
        changed_audio,
        load_records,
        paired_blocks,
        paired_compare,
        paired_markdown,
        status_changes,
    )

    a, b = load_records(args.a), load_records(args.b)
    changed = changed_audio(a, b)
    if changed:
        print(
            f"error: {len(changed)} clip id(s) name different reference audio in the two runs, so their "
            f"values cannot be paired: {'; '.join(changed[:20])}; compare runs over the same files",
            file=sys.stderr,
        )
        return EXIT_ERROR
    rows, unpaired = paired_compare(a, b, clip_classes(), args.tolerance_scale)
    if not rows:
        print("error: the two runs share no (clip, method) with an ok value in both", file=sys.stderr)
        return EXIT_ERROR
    lost = status_changes(a, b)
    print(paired_markdown(rows, unpaired, lost, show=args.show))
    failing = [
        r
        for r in rows
        if r.verdict == "regressed"
        and (not args.fail_class or r.clip_class in args.fail_class)
        and (not args.fail_metric or r.metric in args.fail_metric)
    ]
    if args.html:
        from codec.atomic import check_output
        from evals.reports.html import ComparedRun, ComparePage, compare_report

        out = check_output(Path(args.html), force=args.force)
        page = compare_report(
            out,
            ComparePage(
                ComparedRun(Path(args.a), load_summary(args.a)),
                ComparedRun(Path(args.b), load_summary(args.b)),
                paired_blocks(rows, unpaired, lost),
                len(failing),
                first=tuple(c for r in failing for c, _ in r.changed_most),
            ),
        )
        print(f"wrote {page}")
    print(
        f"{len(failing)} regressed row(s) that can fail, {len(lost)} value(s) no longer ok, "
        f"{len(unpaired['only_a'])} record(s) only in A"
    )
    return EXIT_REGRESSION if failing or lost or unpaired["only_a"] else 0


def _history(args) -> int:
    from evals.reports.history import HISTORY_DIR, add, show

    folder = Path(args.dir) if args.dir else HISTORY_DIR
    if args.action:
        if args.action[0] != "add" or len(args.action) != 2:
            print(
                "error: usage: python -m evals history add RUN_DIR  |  python -m evals history",
                file=sys.stderr,
            )
            return EXIT_ERROR
        print(f"wrote {add(args.action[1], folder)}")
        return 0
    text, regressed = show(folder, Path(args.output) if args.output else None, args.against)
    print(text)
    if args.output:
        print(f"wrote {args.output}/trend.png, {args.output}/history.html")
    return EXIT_REGRESSION if regressed else 0


def _summarize(args) -> int:
    from evals.reports.markdown import results_table
    from evals.run_folder import RunError, hold
    from evals.running.summarize import summarize

    if not Path(args.run_dir).is_dir():  # `hold` would make it
        print(f"error: {args.run_dir} does not exist: not a run folder", file=sys.stderr)
        return EXIT_ERROR
    try:
        with hold(args.run_dir):  # not while a run writes it
            summary = summarize(args.run_dir, report=False if args.no_report else None)
    except RunError as err:
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        return EXIT_ERROR
    print(results_table(summary))
    missing = {m: i["n_clips_missing"] for m, i in summary["methods"].items() if i.get("n_clips_missing")}
    if missing:
        print(
            f"not yet recorded (clips per method): {missing}; `python -m evals run ... --resume` finishes it"
        )
    print(
        f"wrote {args.run_dir}/summary.json, summary.md"
        + ("" if args.no_report else " (and report.html if the run made one)")
    )
    return 0


def _rate(args) -> int:
    from evals.records import read_records
    from evals.reports.rate_bd import RESAMPLES
    from evals.reports.rate_page import rate_markdown
    from evals.reports.rate_report import NoRatePoints, build_rate_report
    from evals.reports.rate_write import write_rate
    from evals.run_folder import RATE_JSON_FILE, RATE_MD_FILE, RunError, hold

    run_dir = Path(args.run_dir)
    if not clips_file(run_dir).is_file():
        print(f"error: no {CLIPS_FILE} in {run_dir}: not a run folder", file=sys.stderr)
        return EXIT_ERROR
    try:
        with hold(run_dir):  # not while a run writes its records
            report = build_rate_report(
                read_records(run_dir),
                rate_field="kbps" if args.file_rate else "payload_kbps",
                resamples=args.resamples or RESAMPLES,
            )
            report = write_rate(run_dir, report, force=args.force)
    except (NoRatePoints, RunError) as err:
        print(f"error: {run_dir}: {' '.join(str(err).split())}", file=sys.stderr)
        return EXIT_ERROR
    print(rate_markdown(report, run_dir.name))
    print(f"wrote {run_dir}/{RATE_MD_FILE}, {RATE_JSON_FILE}" + (", rate/" if report.figures else ""))
    return 0


def _metrics(args) -> int:
    from evals.methods import METHODS
    from evals.metrics import all_metrics

    for m in all_metrics().values():
        arrow = "higher" if m.higher_is_better else "lower"
        print(f"{m.name:22s} {m.family:10s} {m.unit or '-':8s} {arrow} is better; {m.description}")
    print()
    for method in METHODS.values():
        print(f"{method.name:22s} needs {list(method.needs) or 'no weights'}: {method.description}")
    return 0


def _scorecard(args) -> int:
    from codec.loading import quiet_model_libraries
    from evals.scorecard import default_outdir, scorecard

    quiet_model_libraries()
    outdir = Path(args.output) if args.output else default_outdir()
    card = scorecard(run_config(args, outdir), clips=args.clips, full_ladder=args.full_ladder)
    print(Path(outdir, SCORECARD_MD_FILE).read_text())
    print(
        f"wrote {outdir}/scorecard.md, scorecard.json"
        + ("" if args.no_report else ", scorecard.html")
        + f" (and the run: summary.json, {CLIPS_FILE}"
        + ("" if args.no_audio else ", audio/")
        + ")"
    )
    return 1 if card["gates_failed"] or card["against_golden"]["regressed"] else 0


def _gates(args) -> int:
    import json

    from evals.gating.derive_gates import derive, write_gates
    from evals.scorecard import model_kind

    summary = json.loads(summary_file(args.derive).read_text())
    used = [i.get("model_id") for i in summary["methods"].values() if i.get("model_id")]
    model = args.model or (model_kind(used[0]) if used else None)
    new = derive(Path(args.derive), args.methods, model)
    total = write_gates(new)
    print(
        f"derived {len(new)} gates for {len({g['method'] for g in new})} methods; "
        f"golden/gates.json holds {total}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.golden_dir:  # read where the golden data is first needed (evals/data_paths.py)
        os.environ["AUDIOLDM2_GOLDEN_DIR"] = args.golden_dir
    handler = {
        "run": _run,
        "score": _score,
        "compare": _compare,
        "history": _history,
        "metrics": _metrics,
        "summarize": _summarize,
        "rate": _rate,
        "scorecard": _scorecard,
        "gates": _gates,
        "listen": listening_cli.listen,
        "listening": listening_cli.listening,
    }[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if os.environ.get("EVALS_DEBUG"):
            raise
        print(f"error: {type(err).__name__}: {' '.join(str(err).split())}", file=sys.stderr)
        return EXIT_ERROR
