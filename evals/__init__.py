"""Evaluation of the AudioLDM2 VAE codec.

    evals.registry   metric registry (metadata: direction, unit, valid range, preconditions)
    evals.metrics    the metric families (waveform, mel, spectral, bands, perceptual, mos)
    evals.result     per-clip values with status and reason (NaN, never a sentinel)
    evals.running.align      a method's delay (declared, calibrated, consensus, given); per-clip lag diagnostic
    evals.running.scoring    every metric on one pair, shifted by the method's delay; worker pools
    evals.methods    reconstruction methods by name
    evals.running.runner     `python -m evals run`
    evals.running.external   `python -m evals score` (outputs decoded elsewhere)
    evals.reports.paired     `python -m evals compare`: paired, per-class intervals and verdicts
    evals.reports.compare    the means-only comparison (summary.json files)
    evals.reports.history    `python -m evals history` (quality history and drift)
    evals.gating.baselines  the reports' figures (baselines.json) matched to a run
"""
