"""Evaluation of the AudioLDM2 VAE codec (and of any codec's decoded files).

Data flow of `python -m evals run` (and `score`, `scorecard`), one Dask task per box:

    driver (evals.running.runner, .driver)            workers (evals.running.worker)
    ------------------------------                    -------------------------------
    RunConfig (evals.running.config), read by every stage and task
    inputs.collect_inputs -> clip paths  --submit-->  read_task: file -> Audio, 16 kHz [N]
    a bounded window of clips in flight                 |                 (audio stays on workers)
                                                        v
                                                      reconstruct_task: method (loaded once per
                                                        |               worker) -> Reconstruction [N]
                                                        v
    records.RecordLog.append  <--Record (small)------ score_task: every metric (evals.metrics),
    clips.jsonl, fsynced in batches                     audio/ and figures/ written here
        |
        v
    summarize.summarize: summary.json, summary.md, report.html (evals.reports)

Layers, each importing only the ones above it:

    registry, result, aggregate, provenance, run_folder,  metric metadata, values, run folder layout,
    records                                                clips.jsonl's one reader and writer
    metrics/                                               the metric families (all_metrics())
    methods/                                               reconstruction methods by name
    gating/                                                golden set, gates, the reports' baselines
    running/                                               the pipeline above, on Dask (engine.py)
    reports/                                               tables, HTML, figures, compare, history
    scorecard, cli                                         the main job; `python -m evals`
"""
