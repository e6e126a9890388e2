"""`python -m evals listen RUN -o DIR` and `python -m evals listening DIR RESULTS...`: their parsers
(`add_parsers`, called by evals/cli.py) and their commands. A `ListeningError` is one line on stderr
and exit code 2. `listening` then records the results in the run the test came from and re-renders
its report.html (`evals.listening.run_record`), saying in one line when it could not."""

from __future__ import annotations

import sys
from pathlib import Path

EXIT_ERROR = 2


def add_parsers(sub) -> None:
    """Registers `listen` and `listening` on evals/cli.py's subparsers."""
    listen = sub.add_parser(
        "listen", help="write a MUSHRA listening test (one offline HTML page and its audio) from a run"
    )
    listen.add_argument("run_dir", metavar="RUN", help="run folder (with its audio/)")
    listen.add_argument("-o", "--output", required=True, metavar="DIR", help="test folder to write")
    listen.add_argument(
        "--method", "-m", action="append", dest="methods", metavar="NAME", help="default: the run's methods"
    )
    listen.add_argument("--force", action="store_true", help="replace a test in DIR (its files only)")
    analyse = sub.add_parser(
        "listening", help="analyse the ratings of a listening test: screening, scores, metric agreement"
    )
    analyse.add_argument("test_dir", metavar="DIR", help="the test folder `listen` wrote")
    analyse.add_argument("results", nargs="+", metavar="RESULTS", help="listeners' JSON files, or folders")
    analyse.add_argument(
        "--force", action="store_true", help="replace an earlier analysis in DIR (and its results in the run)"
    )


def listen(args) -> int:
    from evals.listening.layout import ListeningError
    from evals.listening.page import write_test
    from evals.listening.stimuli import build
    from evals.run_folder import output_holding

    try:
        held = output_holding(args.run_dir, args.output)
        if held is not None:  # a rerun of the run with --force would remove the test, ratings and all
            raise ListeningError(
                f"the test folder {args.output} lies in {held} of the run {args.run_dir}, which a rerun of "
                "the run with --force removes; pick an -o outside it"
            )
        stimuli = build(args.run_dir, args.methods)
        page = write_test(stimuli, Path(args.output), args.force)
    except ListeningError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR
    layout = stimuli.layout
    for note in layout.notes:
        print(f"note: {note}")
    clips = len(layout.trials) // len(layout.blocks)
    print(
        f"test {layout.test_id}: {len(layout.trials)} trials ({clips} clips x {len(layout.blocks)} "
        f"block(s)) of {len(layout.methods)} method(s) + hidden reference and anchors"
    )
    print(f"wrote {page} (send the whole folder {args.output}; open index.html from disk)")
    return 0


def listening(args) -> int:
    from evals.listening.analysis import analyse
    from evals.listening.layout import ListeningError, read_layout
    from evals.listening.report import check_outputs, write_report
    from evals.listening.results import read_all
    from evals.listening.run_record import record

    try:
        layout = read_layout(args.test_dir)
        if not args.force:  # refused before any work
            check_outputs(Path(args.test_dir), force=False)
        listeners = read_all(args.results, layout)
        analysis = analyse(layout, listeners)
        written = write_report(analysis, layout, args.test_dir, args.force)
    except ListeningError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR
    print(written[0].read_text())
    print(f"wrote {', '.join(str(p) for p in written)}")
    print(record(analysis, layout, args.test_dir, args.force))  # the run's report; never fails the analysis
    return 0
