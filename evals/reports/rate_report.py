"""A run's rate-quality report as one typed object (`RateReport`): its points per class and metric, and
the BD-rates of the VAE families against Opus with their intervals; built from the records
(`build_rate_report`), kept in rate.json and the scorecard's card (`to_json` / `from_json`).

`python -m evals rate RUN` writes it (`rate_write`), with its page (`rate_page`) and figures
(`rate_figures`); the scorecard does the same and shows its BD-rate table.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from evals.reports.bd_rate import frontier
from evals.reports.rate_bd import ANCHOR, RESAMPLES, SEED, BdResult, bd_rates, quality
from evals.reports.rate_curves import DEFAULT_RATE_FIELD, RatePoint, curves, rate_table

LADDER_EXAMPLE = (
    "-m opus:kbps=6 -m opus:kbps=12 -m opus:kbps=24 -m vae+hifigan:bits=3 -m vae+hifigan:bits=4 "
    "-m vae+hifigan:bits=6"
)
"""What to run for rate points (said when a run has none)."""


class NoRatePoints(ValueError):
    """The records hold no measured rate: nothing to draw or compare."""


@dataclass(frozen=True)
class RateReport:
    """The rate-quality report of a run: `points` (every spec with a measured rate, per class of
    `classes` and metric of `metrics`), `bd` (each VAE family against `anchor`), how x was measured
    (`rate_field`), the bootstrap's `resamples` and `seed`, and the `figures` written (paths relative to
    the run folder)."""

    rate_field: str
    anchor: str
    classes: tuple[str, ...]
    metrics: tuple[str, ...]
    points: tuple[RatePoint, ...]
    bd: tuple[BdResult, ...]
    resamples: int = RESAMPLES
    seed: int = SEED
    figures: tuple[str, ...] = field(default=())

    def families(self) -> list[str]:
        """The codec families with points, the anchor first."""
        found = dict.fromkeys(p.family for p in self.points)
        return sorted(found, key=lambda f: (f != self.anchor, f))

    def curve(self, family: str, clip_class: str, metric: str) -> list[RatePoint]:
        """A family's points with a value on `metric` over `clip_class`, by rate."""
        return curves(list(self.points)).get((family, clip_class, metric), [])

    def bd_result(self, family: str, clip_class: str, metric: str) -> BdResult | None:
        return next(
            (b for b in self.bd if (b.family, b.clip_class, b.metric) == (family, clip_class, metric)), None
        )


RATE_METRICS = ("pesq_wb", "visqol_speech", "stoi", "log_mel_l1", "mrstft")
"""The metrics of the rate-quality curves and BD-rates: the full-reference headline metrics a codec's
quality is quoted in (DNSMOS judges the output alone; a band's retention or distance is not a
quality that rises with rate)."""


def build_rate_report(
    records: list[dict],
    metrics: list[str] | None = None,
    *,
    rate_field: str = DEFAULT_RATE_FIELD,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> RateReport:
    """The `RateReport` of `records` on `metrics` (default: `RATE_METRICS`).

    Raises:
        NoRatePoints: no record has a measured `rate_field`.
    """
    metrics = list(metrics or RATE_METRICS)
    table = rate_table(records, metrics, rate_field)
    if not table.specs:
        raise NoRatePoints(
            f"no record has a measured {'payload ' if rate_field == 'payload_kbps' else ''}kbit/s, so "
            "there are no rate points (methods that write a file at a set rate make them); run a rate "
            f"ladder first, e.g. python -m evals run INPUTS -o RUN {LADDER_EXAMPLE}"
        )
    classes = table.class_names()
    names = [m for m in metrics if m in table.values]
    points = [p for c in classes for p in table.points(c, names)]
    found = bd_rates(table, names, resamples=resamples, seed=seed)
    return RateReport(
        rate_field, ANCHOR, tuple(classes), tuple(names), tuple(points), tuple(found), resamples, seed
    )


def to_json(report: RateReport) -> dict:
    """The report as JSON-ready data; the curves' frontiers (the points BD-rate uses) are added."""
    data = asdict(report)
    data["curves"] = [
        {
            "family": fam,
            "class": cls,
            "metric": metric,
            "points": [[p.kbps, p.value, p.spec] for p in pts],
            "frontier": [
                [kbps, value] for kbps, value in frontier_values(metric, [(p.kbps, p.value) for p in pts])
            ],
        }
        for (fam, cls, metric), pts in curves(list(report.points)).items()
    ]
    return data


def frontier_values(metric: str, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The (kbps, value) points of a curve on its rate-quality frontier (`bd_rate.frontier`, quality
    oriented by `rate_bd.quality`)."""
    by_quality = {(r, float(quality(metric, v))): v for r, v in points}
    kept, _ = frontier(list(by_quality))
    return [(r, by_quality[(r, q)]) for r, q in kept]


def from_json(data: dict) -> RateReport:
    """`to_json`'s data back as a `RateReport` (its derived "curves" left out)."""

    def pair(value):
        return tuple(value) if value is not None else None

    return RateReport(
        rate_field=data["rate_field"],
        anchor=data["anchor"],
        classes=tuple(data["classes"]),
        metrics=tuple(data["metrics"]),
        points=tuple(RatePoint(**p) for p in data["points"]),
        bd=tuple(
            BdResult(**{**b, "interval": pair(b["interval"]), "overlap": pair(b["overlap"])})
            for b in data["bd"]
        ),
        resamples=data["resamples"],
        seed=data["seed"],
        figures=tuple(data.get("figures", ())),
    )
