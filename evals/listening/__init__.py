"""A MUSHRA listening test (ITU-R BS.1534-3) built from a run, and the analysis of its ratings.

Stages, each its own module, joined by small dataclasses:

    folder.py     the test folder's file names; ListeningError
    anchors.py    the 3.5 kHz and 7 kHz low-pass anchors (linear-phase FIR, no delay) and their masks
    layout.py     `Layout`, `Trial`, `Signal`: what the test plays, in which blocks; test.json; the test id
    stimuli.py    a run folder -> the trials' audio (16-bit WAV bytes) and the `Layout`
    page.py       writes the test folder: index.html (script inline), stimuli/*.js, test.json
    results.py    a listener's downloaded JSON -> `ListenerRatings`, checked against the test
    screening.py  BS.1534-3 post-screening: who is excluded and why
    stats.py      bootstrap intervals over listeners and clips; metric agreement
    analysis.py   ratings -> `Analysis`; report.py writes listening.md, listening.json and figures
    run_record.py the results in the run (RUN/listening-results/TEST.json) and its report's section
    cli.py        `python -m evals listen` and `python -m evals listening`
"""
