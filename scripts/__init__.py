"""Data tools of the repository (not installed with the package). Run from the repository root:

python -m scripts.build_golden --check | --rebuild   # the committed excerpts from their pinned sources
python -m scripts.build_corpus OUT_DIR               # a scale-test corpus from the same sources
python -m scripts.measure_noise [--grid]             # golden/noise.json: reproducibility noise
python -m scripts.evaluate_reference                 # golden/reference/quality.json and its model card
python -m scripts.scale_benchmark --corpus DIR ...   # the runner at scale (docs/scale.md)
"""
