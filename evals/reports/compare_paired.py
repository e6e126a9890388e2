"""Paired comparison of two runs, clip by clip: per method, metric and class, the mean difference
with a 95 % bootstrap confidence interval, a permutation p-value, and a verdict.

Records pair by (clip, method), the method spec carrying its parameters (`vae+griffinlim:quant=int8`).
For each pair where both values are ok, `worse = B - A` in the direction that is worse (A - B for a
higher-is-better metric; for retention, the change in distance to 100 %). Per group of pairs:

- mean_difference: mean of B - A (as printed values move);
- ci: 95 % interval of the mean of `worse`, `scipy.stats.bootstrap` (percentile, 9999 resamples,
  seed 0); a single pair, or pairs that all moved alike, give the point itself;
- p_value: `scipy.stats.permutation_test` on the mean of `worse` with paired sign flips (exact when
  2^n <= 9999), two-sided: how often noise alone would give a mean this far from 0;
- threshold: the larger of the metric's practical tolerance (registry, x --tolerance-scale) and
  the method's measured reproducibility noise (golden/noise.json, class-mean spread), when known;
- verdict: "regressed" when the whole interval is worse than +threshold, "improved" when it is
  better than -threshold, "unchanged" when it lies within +-threshold, else "inconclusive".

The verdict rests on the interval, not on the p-value, so a class of one or two clips can still be
judged (its interval is its points) and a tiny class never reads as significant by luck of the
permutation count. Clips present in one run only are listed, never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from evals.metrics import all_metrics
from evals.reports.blocks import Block, Bullets, markdown
from evals.reports.numbers import readable
from evals.reports.table import Table, fail, text

CONFIDENCE = 0.95
RESAMPLES = 9999
SEED = 0
ALL = "*"
VERDICTS = ("regressed", "improved", "unchanged", "inconclusive")


@dataclass
class PairedRow:
    method: str
    metric: str
    clip_class: str
    n: int
    mean_difference: float | None
    mean_worse: float | None
    ci: tuple[float, float] | None
    p_value: float | None
    threshold: float
    verdict: str
    changed_most: list[tuple[str, float]] = field(default_factory=list)


def load_records(run: str | Path) -> list[dict]:
    """The records of a run folder or clips.jsonl (`evals.records.read_records`: one per
    (method, clip), the last written; a line cut short at the end dropped, any other damage an error)."""
    from evals.records import read_records
    from evals.run_folder import CLIPS_FILE, records_file

    if not records_file(run).is_file():
        raise FileNotFoundError(f"no {CLIPS_FILE} at {run}")
    return read_records(run)


def interval(worse: np.ndarray) -> tuple[float, float]:
    """95 % percentile-bootstrap interval of the mean; the point itself when it cannot vary."""
    from scipy import stats

    if worse.size < 2 or np.ptp(worse) == 0.0:
        return float(worse.mean()), float(worse.mean())
    result = stats.bootstrap(
        (worse,),
        np.mean,
        confidence_level=CONFIDENCE,
        n_resamples=RESAMPLES,
        method="percentile",
        random_state=np.random.default_rng(SEED),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def p_value(worse: np.ndarray) -> float:
    """Two-sided paired sign-flip permutation test of mean(worse) = 0."""
    from scipy import stats

    if worse.size < 2 or not np.any(worse):
        return 1.0
    result = stats.permutation_test(
        (worse,),
        np.mean,
        permutation_type="samples",
        alternative="two-sided",
        n_resamples=RESAMPLES,
        random_state=np.random.default_rng(SEED),
    )
    return float(result.pvalue)


def verdict(ci: tuple[float, float] | None, threshold: float) -> str:
    if ci is None:
        return "inconclusive"
    low, high = ci
    if low > threshold:
        return "regressed"
    if high < -threshold:
        return "improved"
    if -threshold <= low and high <= threshold:
        return "unchanged"
    return "inconclusive"


def method_noise(method: str) -> dict[str, float]:
    """The method's class-mean reproducibility spread per metric (golden/noise.json), or {}."""
    from evals.gating.golden_set import noise_entry

    entry = noise_entry(method)
    return dict(entry["per_class"]) if entry else {}


def paired_compare(
    a: list[dict],
    b: list[dict],
    classes: dict[str, str] | None = None,
    tolerance_scale: float = 1.0,
    top: int = 3,
) -> tuple[list[PairedRow], dict]:
    """Paired rows for every (method, metric, class and all clips) with pairs, and what did not pair.

    Args:
        a, b: the two runs' records (clips.jsonl rows).
        classes: clip id -> class; clips without one count in the all-clips group only.
        top: how many clips that changed most to keep per row.

    Returns:
        (rows, unpaired): unpaired holds `only_a` / `only_b` lists of "method / clip".
    """
    registry = all_metrics()
    classes = classes or {}
    index_a = {(r["method"], r["clip"]): r for r in a}
    index_b = {(r["method"], r["clip"]): r for r in b}
    unpaired = {
        "only_a": sorted(f"{m} / {c}" for m, c in set(index_a) - set(index_b)),
        "only_b": sorted(f"{m} / {c}" for m, c in set(index_b) - set(index_a)),
    }
    groups: dict[tuple[str, str, str], list[tuple[str, float, float]]] = {}
    for key in sorted(set(index_a) & set(index_b)):
        method, clip = key
        ra, rb = index_a[key], index_b[key]
        for name, ma in ra["metrics"].items():
            mb = rb["metrics"].get(name)
            if name not in registry or mb is None or ma["status"] != "ok" or mb["status"] != "ok":
                continue
            for cls in {ALL, classes.get(clip, ALL)}:
                groups.setdefault((method, name, cls), []).append((clip, ma["value"], mb["value"]))
    rows = []
    noise_cache: dict[str, dict[str, float]] = {}
    for (method, name, cls), pairs in sorted(groups.items()):
        metric = registry[name]
        worse = np.array([metric.worse_by(va, vb) for _, va, vb in pairs])
        diff = np.array([vb - va for _, va, vb in pairs])
        noise = noise_cache.setdefault(method, method_noise(method)).get(name, 0.0)
        threshold = max(metric.tolerance * tolerance_scale, noise)
        ci = interval(worse)
        order = np.argsort(-np.abs(worse))[:top]
        rows.append(
            PairedRow(
                method,
                name,
                cls,
                len(pairs),
                float(diff.mean()),
                float(worse.mean()),
                ci,
                p_value(worse),
                threshold,
                verdict(ci, threshold),
                [(pairs[i][0], float(diff[i])) for i in order if worse[i] != 0.0],
            )
        )
    return rows, unpaired


def changed_audio(a: list[dict], b: list[dict]) -> list[str]:
    """Clip ids whose reference audio differs between the runs (both records carry the `sha256` of
    the reference file's bytes and they differ): their values must not be paired. Records of older
    runs (no `sha256`) cannot be checked and pass."""
    hashes_a = {r["clip"]: r["sha256"] for r in a if r.get("sha256")}
    return sorted(
        {
            f"{r['clip']} ({hashes_a[r['clip']][:12]} in A, {r['sha256'][:12]} in B)"
            for r in b
            if r.get("sha256") and r["clip"] in hashes_a and hashes_a[r["clip"]] != r["sha256"]
        }
    )


def status_changes(a: list[dict], b: list[dict]) -> list[str]:
    """Values ok in A and not ok in B (a metric that started failing is a regression of its own)."""
    index_b = {(r["method"], r["clip"]): r for r in b}
    lost = []
    for ra in a:
        rb = index_b.get((ra["method"], ra["clip"]))
        if rb is None:
            continue
        for name, ma in ra["metrics"].items():
            mb = rb["metrics"].get(name)
            if ma["status"] == "ok" and mb is not None and mb["status"] != "ok":
                lost.append(
                    f"{ra['method']} / {ra['clip']} / {name}: ok -> {mb['status']} ({mb.get('reason', '')})"
                )
    return lost


def _unpaired_text(items: list[str]) -> str:
    """'method / clip' items, listed when few, else counted per method."""
    if len(items) <= 6:
        return "; ".join(items)
    per_method: dict[str, int] = {}
    for item in items:
        method = item.split(" / ")[0]
        per_method[method] = per_method.get(method, 0) + 1
    return "; ".join(f"{m} ({n} clips)" for m, n in per_method.items())


def paired_blocks(
    rows: list[PairedRow], unpaired: dict, lost: list[str], show: str = "changed"
) -> list[Block]:
    """The verdict counts, the rows as a table (show="changed": every row but "unchanged"; "all": every
    row), the records that did not pair and the values that stopped being ok."""
    shown = [r for r in rows if show == "all" or r.verdict != "unchanged"]
    counts = {v: sum(r.verdict == v for r in rows) for v in VERDICTS}
    blocks: list[Block] = [
        text(
            f"Paired comparison: {len(rows)} rows (method x metric x class): "
            + ", ".join(f"{counts[v]} {v}" for v in VERDICTS)
            + "."
        )
    ]
    if shown:
        blocks.append(
            Table(
                (
                    "method",
                    "metric",
                    "class",
                    "n",
                    "mean B - A",
                    "95 % CI of 'worse'",
                    "p",
                    "threshold",
                    "verdict",
                    "changed most (B - A)",
                ),
                [
                    [
                        r.method,
                        r.metric,
                        r.clip_class,
                        str(r.n),
                        readable(r.mean_difference),
                        "-" if r.ci is None else f"[{readable(r.ci[0])}, {readable(r.ci[1])}]",
                        readable(r.p_value),
                        readable(r.threshold),
                        fail("REGRESSED") if r.verdict == "regressed" else r.verdict,
                        ", ".join(f"{c} {readable(d)}" for c, d in r.changed_most) or "-",
                    ]
                    for r in shown
                ],
            )
        )
    for label, key in (("only in A", "only_a"), ("only in B", "only_b")):
        if unpaired[key]:
            blocks.append(
                text(
                    f"{len(unpaired[key])} record(s) {label} (not compared): " + _unpaired_text(unpaired[key])
                )
            )
    if lost:
        blocks += [
            text(f"{len(lost)} value(s) ok in A but not in B (regressions):"),
            Bullets(tuple(lost[:40])),
        ]
    return blocks


def paired_markdown(rows: list[PairedRow], unpaired: dict, lost: list[str], show: str = "changed") -> str:
    """`paired_blocks` in Markdown."""
    return markdown(paired_blocks(rows, unpaired, lost, show))
