"""Rate-quality curves of a run: one point per method spec with a measured rate, one curve per codec
family, per clip class and over all clips.

- A codec family is a spec with its rate parameters (`RATE_PARAMS`) removed: `opus:kbps=12` -> `opus`,
  `vae+griffinlim:bits=3,griffinlim_iters=8` -> `vae+griffinlim:griffinlim_iters=8`. The container's
  fixed quantisations (`quant=float32|float16|int8`, zlib or lzma, no entropy model) are another coder
  than the range-coded `bits=` ladder, so they make a family of their own, `NAME:quant`
  (`vae+hifigan:quant=int8` -> `vae+hifigan:quant`): drawn, never BD-rated (`is_container_sweep`).
- A clip's class is its id's prefix before the first "_" (`speech_male_arctic_a0007` -> `speech`);
  an id without "_" counts in all clips (`ALL`, as in `compare_paired`) only.
- A point of a spec over a set of clips, on one metric: y = the mean of the metric over its ok values
  there; x = the mean measured kbit/s over the same clips (those with a rate and an ok value: a clip
  whose metric failed moves neither), weighted by clip duration (total bits over total seconds, as the
  summary's kbit/s). The rate is the payload's by default (`rate_field="payload_kbps"`: what the codec
  needs to decode, its container's framing left out; on 2 s clips Ogg's framing alone is about
  4 kbit/s), or the whole file's (`rate_field="kbps"`). Records without a rate make no point.
- For BD-rates a metric is first oriented per clip (`oriented`: higher is better), then averaged, so
  that retention's distance to 100 % is taken clip by clip (150 % and 50 % are two misses, not 100 %).

`RateTable` holds the per-clip values once, so that the bootstrap (`rate_bd`) recomputes points for
resampled clips (`RateTable.points` with clip counts as weights) without going back to the records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evals.reports.compare_paired import ALL

RATE_PARAMS = ("kbps", "bits", "mode", "quant")
DEFAULT_RATE_FIELD = "payload_kbps"
"""Parameters that set a codec's rate: removed from a spec, they leave its family."""
RATE_FIELDS = ("kbps", "payload_kbps")
"""Which measured rate of a record is x: the whole file's, or the coded audio's alone."""


CONTAINER_SWEEP = "quant"
"""The family marker of the container's fixed quantisations (`NAME:quant`)."""


def split_spec(spec: str) -> tuple[str, str]:
    """(family, its rate setting): `"opus:kbps=12"` -> ("opus", "kbps=12");
    `"vae+griffinlim:bits=3,griffinlim_iters=8"` -> ("vae+griffinlim:griffinlim_iters=8", "bits=3");
    `"vae+hifigan:quant=int8"` -> ("vae+hifigan:quant", "quant=int8")."""
    name, _, rest = spec.partition(":")
    items = [i for i in rest.split(",") if i]
    rate = [i for i in items if i.partition("=")[0] in RATE_PARAMS]
    other = [i for i in items if i not in rate]
    if any(i.partition("=")[0] == CONTAINER_SWEEP for i in rate):
        other.append(CONTAINER_SWEEP)
    return name + (":" + ",".join(other) if other else ""), ",".join(rate)


def is_container_sweep(family_name: str) -> bool:
    """A family of the container's fixed quantisations (`NAME:quant`), not a rate ladder."""
    return CONTAINER_SWEEP in family_name.partition(":")[2].split(",")


def oriented(metric: str, values: np.ndarray) -> np.ndarray:
    """`values` of `metric` oriented so that higher is better, element by element, by the registry's
    own rule (`Metric.worse_by` against 0, negated): the value; its negative for a distance (log-mel
    L1, MR-STFT, LSD); 100 - |value - 100| for retention."""
    from evals.metrics import all_metrics

    return -all_metrics()[metric].worse_by(0.0, values)


def family(spec: str) -> str:
    """A spec's codec family: the spec without its rate parameters."""
    return split_spec(spec)[0]


def clip_class(clip_id: str) -> str | None:
    """A clip's class: its id's prefix before the first "_" (None without one)."""
    prefix, sep, _ = clip_id.partition("_")
    return prefix if sep and prefix else None


@dataclass(frozen=True)
class RatePoint:
    """One spec over one class's clips (`ALL`: every clip) on one metric: `kbps` the mean measured rate
    over `n_clips` clips, `value` the metric's mean over its `n_ok` ok values (None when none)."""

    spec: str
    family: str
    clip_class: str
    metric: str
    kbps: float
    value: float | None
    n_clips: int
    n_ok: int


@dataclass(frozen=True)
class RateTable:
    """Per-clip values of the specs with a measured rate: `kbps[s, c]` and `values[metric][s, c]` (NaN
    where missing or not ok), `seconds[c]` (clip durations; 1 when unknown)."""

    specs: tuple[str, ...]
    clips: tuple[str, ...]
    classes: tuple[str | None, ...]
    seconds: np.ndarray
    kbps: np.ndarray
    values: dict[str, np.ndarray]
    rate_field: str = DEFAULT_RATE_FIELD

    def class_names(self) -> list[str]:
        """`ALL`, then each class present, sorted."""
        return [ALL, *sorted({c for c in self.classes if c is not None})]

    def members(self, clip_class: str) -> np.ndarray:
        """Indices of the clips of `clip_class` (every clip for `ALL`)."""
        return np.array([i for i, c in enumerate(self.classes) if clip_class == ALL or c == clip_class], int)

    def rates(self, weights: np.ndarray, metric: str | None = None) -> np.ndarray:
        """Mean rate per spec for clip weights `weights` ([..., clips]): duration-weighted over the clips
        with a rate (and, given `metric`, an ok value of it); NaN where none has one. Shape [..., specs]."""
        has = np.isfinite(self.kbps)
        if metric is not None:
            has = has & np.isfinite(self.values[metric])
        w = weights * self.seconds
        total = w @ has.T
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, (w @ np.where(has, self.kbps, 0.0).T) / total, np.nan)

    def means(
        self, metric: str, weights: np.ndarray, *, orient: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """(mean of `metric` per spec over its ok values, weighted by `weights`; NaN where none; the
        weight of ok values), each shaped [..., specs]. `orient`: of the per-clip `oriented` values."""
        values = oriented(metric, self.values[metric]) if orient else self.values[metric]
        ok = np.isfinite(values)
        total = weights @ ok.T
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, (weights @ np.where(ok, values, 0.0).T) / total, np.nan), total

    def points(self, clip_class: str, metrics: list[str]) -> list[RatePoint]:
        """The points of every spec with a rate over the clips of `clip_class`, for each of `metrics` the
        table has: x over the clips where the metric is ok (over every clip with a rate when it is ok
        on none: then the point has no value)."""
        weights = np.zeros(len(self.clips))
        weights[self.members(clip_class)] = 1.0
        any_rate = self.rates(weights)
        counts = np.isfinite(self.kbps) @ weights
        out = []
        for metric in (m for m in metrics if m in self.values):
            rates = self.rates(weights, metric)
            means, n_ok = self.means(metric, weights)
            for s, spec in enumerate(self.specs):
                if not np.isfinite(any_rate[s]):
                    continue
                value = float(means[s]) if np.isfinite(means[s]) else None
                rate = float(rates[s] if value is not None else any_rate[s])
                out.append(
                    RatePoint(
                        spec, family(spec), clip_class, metric, rate, value, int(counts[s]), int(n_ok[s])
                    )
                )
        return out


def _number(value) -> float:
    return float(value) if isinstance(value, int | float) and np.isfinite(value) else np.nan


def rate_table(records: list[dict], metrics: list[str], rate_field: str = DEFAULT_RATE_FIELD) -> RateTable:
    """The `RateTable` of the records whose spec has a measured rate (`rate_field`) on some clip; a
    record's metric value counts when the record and the value are ok."""
    if rate_field not in RATE_FIELDS:
        raise ValueError(f"rate_field {rate_field!r}: one of {RATE_FIELDS}")
    specs = tuple(dict.fromkeys(r["method"] for r in records if np.isfinite(_number(r.get(rate_field)))))
    mine = [r for r in records if r["method"] in specs]
    clips = tuple(dict.fromkeys(r["clip"] for r in mine))
    s_index = {s: i for i, s in enumerate(specs)}
    c_index = {c: i for i, c in enumerate(clips)}
    seconds = np.ones(len(clips))
    kbps = np.full((len(specs), len(clips)), np.nan)
    values = {m: np.full((len(specs), len(clips)), np.nan) for m in metrics}
    for r in mine:
        s, c = s_index[r["method"]], c_index[r["clip"]]
        if np.isfinite(_number(r.get("seconds"))) and r["seconds"] > 0:
            seconds[c] = r["seconds"]
        kbps[s, c] = _number(r.get(rate_field))
        if r.get("status", "ok") != "ok":
            continue
        for m in metrics:
            result = r["metrics"].get(m)
            if result and result.get("status") == "ok":
                values[m][s, c] = _number(result.get("value"))
    present = {m: v for m, v in values.items() if np.isfinite(v).any()}
    return RateTable(specs, clips, tuple(clip_class(c) for c in clips), seconds, kbps, present, rate_field)


def curves(points: list[RatePoint]) -> dict[tuple[str, str, str], list[RatePoint]]:
    """(family, class, metric) -> its points with a value, sorted by rate."""
    out: dict[tuple[str, str, str], list[RatePoint]] = {}
    for p in sorted(points, key=lambda p: p.kbps):
        if p.value is not None:
            out.setdefault((p.family, p.clip_class, p.metric), []).append(p)
    return out
