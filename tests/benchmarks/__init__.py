"""pytest-benchmark suite (marker `benchmark`) and its history runner: `python -m tests.benchmarks`."""
