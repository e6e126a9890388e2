"""Evaluation of the AudioLDM2 VAE codec.

    evals.registry   metric registry (metadata: direction, unit, valid range, preconditions)
    evals.metrics    the metric families (waveform, mel, spectral, bands, perceptual)
    evals.result     per-clip values with status and reason (NaN, never a sentinel)
    evals.align      bounded cross-correlation lag estimate and alignment
    evals.methods    reconstruction methods by name
    evals.runner     `python -m evals run`
    evals.compare    `python -m evals compare`
    evals.baselines  the reports' figures (baselines.json) matched to a run
"""
