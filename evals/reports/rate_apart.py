"""Are a method's container settings (float32, float16, int8) told apart? Paired, clip by clip.

Each quantisation of a rate-swept method is compared with its float32 row over all golden clips
(float32 is lossless: where the run has no float32 rows, the method's own unquantised rows stand for
them, as the scorecard runs it)
(`compare_paired.paired_compare`, no tolerance: the 95 % bootstrap interval of the paired
difference). A setting is "told apart" from float32 on a metric when that interval excludes 0:
the golden set alone shows the difference, clip for clip, beyond chance. Whether the difference
also passes the metric's practical tolerance (the registry's, as `compare` uses it) is said beside.
"""

from __future__ import annotations

from evals.metrics import all_metrics, headline_metrics
from evals.reports.compare_paired import ALL, paired_compare
from evals.reports.numbers import readable, signed

REFERENCE_SETTING = "float32"


def _setting(method: str) -> tuple[str, str | None]:
    """`"vae+hifigan:quant=int8"` -> ("vae+hifigan", "int8"); no quant -> (method, None)."""
    name, _, rest = method.partition(":")
    params = dict(item.partition("=")[::2] for item in rest.split(",") if item)
    quant = params.pop("quant", None)
    return name + (":" + ",".join(f"{k}={v}" for k, v in params.items()) if params else ""), quant


def rate_apart(rows: list[dict]) -> list[dict]:
    """For each base method and each non-float32 setting: per headline metric, the mean change vs float32,
    its interval, and whether the interval excludes 0 (`apart`)."""
    by_base: dict[str, dict[str, list[dict]]] = {}
    unquantised: dict[str, list[dict]] = {}
    for row in rows:
        base, quant = _setting(row["method"])
        if quant:
            by_base.setdefault(base, {}).setdefault(quant, []).append({**row, "method": base})
        else:
            unquantised.setdefault(row["method"], []).append(row)
    for base, settings in by_base.items():  # float32 is lossless: the unquantised method is the same latent
        if REFERENCE_SETTING not in settings and unquantised.get(base):
            settings[REFERENCE_SETTING] = unquantised[base]
    tolerance = {name: m.tolerance for name, m in all_metrics().items()}
    headline = set(headline_metrics())
    out = []
    for base, settings in sorted(by_base.items()):
        reference = settings.get(REFERENCE_SETTING)
        if not reference:
            continue
        for quant, mine in sorted(settings.items()):
            if quant == REFERENCE_SETTING:
                continue
            paired, _ = paired_compare(reference, mine, tolerance_scale=0.0)
            for r in paired:
                if r.clip_class != ALL or r.metric not in headline or r.ci is None:
                    continue
                out.append(
                    {
                        "method": base,
                        "setting": quant,
                        "metric": r.metric,
                        "n": r.n,
                        "mean_difference": r.mean_difference,
                        "ci_worse": r.ci,
                        "apart": not (r.ci[0] <= 0.0 <= r.ci[1]),
                        "past_tolerance": abs(r.mean_difference) > tolerance[r.metric],
                    }
                )
    return out


def _direction(ci_worse: tuple[float, float]) -> str:
    """An interval of how much worse, said as "worse by [a, b]" or, when wholly below 0, "better by
    [a, b]"."""
    low, high = ci_worse
    if high < 0:
        return f"better by [{readable(-high)}, {readable(-low)}]"
    return f"worse by [{readable(low)}, {readable(high)}]"


def rate_apart_items(results: list[dict]) -> list[str]:
    """One sentence per (method, setting) of `rate_apart`'s results: told apart from float32 or not, and on
    which metrics (the items of a list)."""
    lines = []
    for key in dict.fromkeys((r["method"], r["setting"]) for r in results):
        mine = [r for r in results if (r["method"], r["setting"]) == key]
        apart = [
            f"{r['metric']} {signed(r['mean_difference'])} "
            f"({_direction(r['ci_worse'])}{', past its tolerance' if r['past_tolerance'] else ''})"
            for r in mine
            if r["apart"]
        ]
        verdict = (
            (f"told apart on {len(apart)} of {len(mine)} metrics: " + "; ".join(apart))
            if apart
            else (f"not told apart: every interval of {len(mine)} metrics includes 0")
        )
        lines.append(f"{key[0]} {key[1]} vs {REFERENCE_SETTING} (n {mine[0]['n']} clips): {verdict}")
    return lines
