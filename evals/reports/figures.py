"""Figures of a run (matplotlib, non-interactive Agg backend; PNG files).

- `clip_figure`: one clip through one method: original, reconstructed and difference log-mel
  spectrograms (AudioLDM2's front end, the reference's gain on both), and the per-band energy
  retention.
- `metrics_chart`: the headline metrics by method.
- `rate_quality_chart`: the headline metrics against kbit/s, for methods that went through the container.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np

from evals.reports.numbers import readable

BANDS = ("low", "mid", "high")
PANELS_PER_ROW = 5


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def panels(plt, n: int, size: tuple[float, float], **kwargs):
    """(figure, its first `n` axes): one panel of `size` inches per metric, at most `PANELS_PER_ROW` a row;
    the grid's unused axes are hidden."""
    cols = min(n, PANELS_PER_ROW)
    rows = math.ceil(n / cols)
    fig, grid = plt.subplots(rows, cols, figsize=(size[0] * cols, size[1] * rows), squeeze=False, **kwargs)
    axes = list(grid.flat)
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _chart_metrics(summary: dict) -> list[str]:
    """The headline metrics the summary has."""
    from evals.metrics import headline_metrics

    present = {n for i in summary["methods"].values() for n in i.get("metrics") or {}}
    return [n for n in headline_metrics() if n in present]


def _save(fig, path: Path) -> Path:
    from codec.atomic import atomic_write

    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=72), force=True)
    _pyplot().close(fig)
    return path


_CLIP_FIGURE: dict = {}
"""The clip figure of this process, drawn once and then updated (`clip_figure`): creating its axes,
colour bars and ticks cost as much as drawing it."""
_CLIP_FIGURE_LOCK = threading.Lock()


def _new_clip_figure():
    """The clip figure's artists: four panels (original, reconstructed and difference log-mel; band
    retention), filled with placeholders that `clip_figure` replaces."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(13, 2.8), gridspec_kw={"width_ratios": [3, 3, 3, 1.3]})
    blank = np.zeros((64, 2))
    images = []
    for ax, name, cmap in (
        (axes[0], "original", "magma"),
        (axes[1], "reconstructed", "magma"),
        (axes[2], "", "RdBu_r"),
    ):
        images.append(ax.imshow(blank, origin="lower", aspect="auto", cmap=cmap))
        if name:
            ax.set_title(f"{name} log-mel", fontsize=9)
        ax.set_xlabel("frame (10 ms)", fontsize=8)
        ax.set_ylabel("mel bin", fontsize=8)
    fig.colorbar(images[1], ax=axes[1], fraction=0.05)
    fig.colorbar(images[2], ax=axes[2], fraction=0.05)
    bars = axes[3].bar(BANDS, [1.0] * len(BANDS), color=["#4c72b0", "#55a868", "#c44e52"])
    axes[3].axhline(100, color="k", lw=0.8, ls="--")
    axes[3].set_yscale("symlog", linthresh=100)
    labels = [axes[3].annotate("", (0, 0), ha="center", va="bottom", fontsize=7) for _ in BANDS]
    axes[3].set_title("band energy retained", fontsize=9)
    # fixed margins: tight_layout costs a draw
    fig.subplots_adjust(left=0.04, right=0.99, bottom=0.17, top=0.82, wspace=0.3)
    return {
        "fig": fig,
        "axes": axes,
        "images": images,
        "bars": bars,
        "labels": labels,
        "title": fig.suptitle("", fontsize=10),
    }


def clip_figure(
    path: Path, estimate: np.ndarray, reference: np.ndarray, retention: dict[str, float | None], title: str
) -> Path:
    """Writes the clip's figure to `path` (PNG); `retention` maps band -> % (None if not measured).

    The figure: the original's and the reconstruction's log-mel `[64, T]` (AudioLDM2's front end, the
    reference's gain on both, one colour scale: the original's range), their difference, and the band
    energy retained. One figure per process is drawn and then updated for each clip (its axes, colour
    bars and ticks are made once), under a lock.
    """
    from evals.metrics.mel import _log_mels

    est, ref = (m.numpy().T for m in _log_mels(estimate, reference))  # [64, T] each
    diff = est - ref
    low, high = float(ref.min()), float(ref.max())
    bound = max(1e-6, float(np.abs(diff).max()))
    values = [retention.get(b) for b in BANDS]
    with _CLIP_FIGURE_LOCK:
        if not _CLIP_FIGURE:
            _CLIP_FIGURE.update(_new_clip_figure())
        f = _CLIP_FIGURE
        extent = (-0.5, ref.shape[1] - 0.5, -0.5, ref.shape[0] - 0.5)
        for ax, image, data, clim in zip(
            f["axes"][:3], f["images"], (ref, est, diff), ((low, high), (low, high), (-bound, bound))
        ):
            image.set_data(data)
            image.set_extent(extent)
            image.set_clim(*clim)
            ax.set_xlim(extent[:2])
            ax.set_ylim(extent[2:])
        f["axes"][2].set_title(f"difference (mean |d| {readable(float(np.abs(diff).mean()))})", fontsize=9)
        for bar, label, v in zip(f["bars"], f["labels"], values):
            bar.set_height(v if v is not None and math.isfinite(v) else 0.0)
            label.set_text(readable(v, "%"))
            label.xy = label.xyann = (bar.get_x() + bar.get_width() / 2, bar.get_height())
        f["axes"][3].relim()
        f["axes"][3].autoscale_view()
        f["title"].set_text(title)
        from codec.atomic import atomic_write

        atomic_write(path, lambda tmp: f["fig"].savefig(tmp, format="png", dpi=72), force=True)
    return path


def _ran_with(summary: dict, key: str) -> dict:
    """Methods that ran and have `key` in their summary (e.g. "bitrate")."""
    return {m: i for m, i in summary["methods"].items() if i.get("status") == "ran" and i.get(key)}


def metrics_chart(path: Path, summary: dict) -> Path | None:
    """Bar charts of the headline metrics by method (means over ok clips); None if no method ran."""
    ran = _ran_with(summary, "metrics")
    metrics = _chart_metrics(summary)
    if not ran or not metrics:
        return None
    plt = _pyplot()
    fig, axes = panels(plt, len(metrics), (4, 0.35 * len(ran) + 1.5), sharey=True)
    names = list(ran)
    for ax, metric in zip(axes, metrics):
        means = [ran[m]["metrics"][metric]["mean"] for m in names]
        ax.barh(names, [v if v is not None and math.isfinite(v) else 0.0 for v in means], color="#4c72b0")
        arrow = "higher" if next(iter(ran.values()))["metrics"][metric]["higher_is_better"] else "lower"
        ax.set_title(f"{metric} ({arrow} is better)", fontsize=9)
        ax.tick_params(labelsize=7)
    axes[0].invert_yaxis()
    fig.tight_layout()
    return _save(fig, path)


def rate_quality_chart(path: Path, summary: dict) -> Path | None:
    """The headline metrics against kbit/s for methods with a bitrate; None when the run has none."""
    coded = _ran_with(summary, "bitrate")
    metrics = _chart_metrics(summary)
    if not coded or not metrics:
        return None
    plt = _pyplot()
    fig, axes = panels(plt, len(metrics), (4, 3))
    for ax, metric in zip(axes, metrics):
        for method, info in coded.items():
            mean = info["metrics"][metric]["mean"]
            if mean is None or not math.isfinite(mean):
                continue
            ax.plot(info["bitrate"]["kbps"], mean, "o")
            ax.annotate(method.split(":", 1)[-1], (info["bitrate"]["kbps"], mean), fontsize=7)
        ax.set_xlabel("kbit/s", fontsize=8)
        ax.set_title(metric, fontsize=9)
        ax.set_xscale("log")
    fig.tight_layout()
    return _save(fig, path)
