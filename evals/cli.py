"""`python -m evals run | compare | metrics`. Heavy imports wait until the arguments parse."""

from __future__ import annotations

import argparse
import os
import sys

EXIT_REGRESSION = 1
EXIT_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evals", description="Score the AudioLDM2 VAE codec.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="reconstruct inputs with methods, score them, write a run folder")
    run.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files or folders")
    run.add_argument("--method", "-m", action="append", dest="methods", metavar="NAME",
                     help="method to run (repeatable); default: all. See `python -m evals metrics`")
    run.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="run folder to write")
    run.add_argument("--weights", metavar="ID_OR_PATH", help="hub id or folder (default cvssp/audioldm2-music)")
    run.add_argument("--device", default="auto")
    run.add_argument("--no-audio", action="store_true", help="do not write reconstructed audio")
    run.add_argument("--jobs", type=int, default=None, help="metric processes (default: all cores)")
    run.add_argument("--force", action="store_true", help="overwrite an existing run folder")
    run.add_argument("--no-progress", action="store_true")
    cmp = sub.add_parser("compare", help="compare two runs; exit 1 on a regression")
    cmp.add_argument("a", metavar="A", help="baseline run folder or summary.json")
    cmp.add_argument("b", metavar="B", help="new run folder or summary.json")
    cmp.add_argument("--tolerance-scale", type=float, default=1.0,
                     help="multiply every metric's tolerance (0 = any worsening fails)")
    sub.add_parser("metrics", help="list the registered metrics and methods")
    return parser


def _run(args) -> int:
    from codec.loading import quiet_model_libraries

    from .methods import METHODS
    from .report import CONSOLE_METRICS, baselines_table, results_table, skipped_table
    from .runner import run

    quiet_model_libraries()
    summary = run(args.inputs, args.methods or list(METHODS), args.output, weights=args.weights,
                  device=args.device, save_audio=not args.no_audio, force=args.force,
                  jobs=args.jobs, progress=not args.no_progress, argv=sys.argv)
    print(results_table(summary, CONSOLE_METRICS))
    print(skipped_table(summary))
    print("The reports' figures beside ours (one 5 s generated clip, their wrong front end):\n")
    print(baselines_table(summary, matched_only=True))
    print(f"wrote {args.output}/summary.json, summary.md, clips.jsonl"
          + ("" if args.no_audio else ", audio/"))
    return 0


def _compare(args) -> int:
    from .compare import compare, compare_markdown, load_summary

    rows = compare(load_summary(args.a), load_summary(args.b), args.tolerance_scale)
    if not rows:
        print("error: the two runs share no method that ran in both", file=sys.stderr)
        return EXIT_ERROR
    print(compare_markdown(rows))
    regressions = [r for r in rows if r["regression"]]
    print(f"{len(regressions)} regression(s) in {len(rows)} comparisons")
    return EXIT_REGRESSION if regressions else 0


def _metrics(args) -> int:
    from .methods import METHODS
    from .registry import all_metrics

    for m in all_metrics().values():
        arrow = "higher" if m.higher_is_better else "lower"
        print(f"{m.name:22s} {m.family:10s} {m.unit or '-':8s} {arrow} is better; {m.description}")
    print()
    for method in METHODS.values():
        print(f"{method.name:22s} needs {list(method.needs) or 'no weights'}: {method.description}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = {"run": _run, "compare": _compare, "metrics": _metrics}[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - one line, no traceback (EVALS_DEBUG=1 shows it)
        if os.environ.get("EVALS_DEBUG"):
            raise
        print(f"error: {type(err).__name__}: {' '.join(str(err).split())}", file=sys.stderr)
        return EXIT_ERROR
