"""Evaluation of the codec: metrics, per-clip reports, baselines (filled by the evaluation issue)."""
