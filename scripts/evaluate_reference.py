"""Measure the reference models on the golden set (none of it seen in training) and write
golden/reference/quality.json and the model card README.md (rendered from training.json and
quality.json: every number in it is measured).

    python -m scripts.evaluate_reference [--model golden/reference]

1. VAE-only log-mel L1 per clip, in the correct layout ([B, 1, T, 64]) and transposed
   ([B, 1, 64, T], the reports' mistake, bypassing the codec's guard).
2. The golden set through griffinlim, vae+griffinlim, vae+hifigan and copysynth with every metric
   (PESQ-WB, ViSQOL, STOI, ...): means per content class, and the quality bar (copysynth beats
   griffinlim on speech PESQ-WB and ViSQOL; vae+hifigan beats vae+griffinlim).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch

from evals.gating.golden_set import REFERENCE_DIR
from evals.metrics import headline_metrics
from evals.records import read_records
from evals.reports.numbers import readable
from evals.reports.table import Table, bold

METHODS = ["griffinlim", "vae+griffinlim", "vae+hifigan", "copysynth"]
BAR_METRICS = {
    "copysynth beats griffinlim": ("pesq_wb", "visqol_speech"),
    "vae+hifigan beats vae+griffinlim": ("pesq_wb", "log_mel_l1"),
}
"""The quality bar's metrics (the issue's claims; each is a headline metric, so the card measures it)."""
CLASS_GROUPS = {"speech": "speech_", "music": "music_", "environment": "env"}
"""Card classes: golden clip classes by prefix (speech_male/female/fullband; music_*; environment)."""


def golden_log_mels() -> dict[str, torch.Tensor]:
    """clip id -> AudioLDM2 log-mel [1, T, 64] of the prepared, zero-padded clip (T % 4 == 0)."""
    from codec.audio import to_mono_16k
    from codec.audio_files import read_audio
    from codec.frontend import log_mel, padded_length, prepare_waveform
    from evals.gating.golden_set import golden_clips

    mels = {}
    for cid, entry in golden_clips().items():
        wave, rate = read_audio(entry["path"])
        x = prepare_waveform(torch.from_numpy(to_mono_16k(wave, rate))[None]).wave
        x = torch.nn.functional.pad(x, (0, padded_length(x.shape[-1], 4) - x.shape[-1]))
        mels[cid] = log_mel(x)
    return mels


@torch.inference_mode()
def layout_l1(model, mel: torch.Tensor) -> tuple[float, float]:
    """(L1 with [B, 1, T, 64] input, L1 with the transposed [B, 1, 64, T] input) vs the log-mel."""
    correct = model.decode(model.encode(mel[:, None]).latent_dist.mode()).sample[:, 0]
    swapped = model.decode(model.encode(mel.transpose(1, 2)[:, None]).latent_dist.mode()).sample[:, 0]
    return float((correct - mel).abs().mean()), float((swapped.transpose(1, 2) - mel).abs().mean())


def vae_layout(model_dir: Path) -> dict:
    from codec.loading import load_autoencoder

    model = load_autoencoder(model_dir).eval()
    per_clip = {
        cid: dict(zip(("correct", "transposed"), layout_l1(model, mel), strict=True))
        for cid, mel in golden_log_mels().items()
    }
    mean = {k: sum(v[k] for v in per_clip.values()) / len(per_clip) for k in ("correct", "transposed")}
    return {
        "mean_correct_layout": mean["correct"],
        "mean_transposed_layout": mean["transposed"],
        "ratio": mean["transposed"] / mean["correct"],
        "per_clip": per_clip,
    }


def class_group(clip_class: str) -> str:
    return next(g for g, prefix in CLASS_GROUPS.items() if clip_class.startswith(prefix))


def per_class_means(rows: list[dict], classes: dict[str, str]) -> dict:
    """method -> card class -> headline metric (the registry's, in its order) -> mean of the ok values
    (None when none was ok)."""
    from evals.gating.gates import class_means

    names = headline_metrics()
    missing = {m for bar in BAR_METRICS.values() for m in bar} - set(names)
    if missing:
        raise RuntimeError(f"the quality bar needs {sorted(missing)}, no longer headline metrics")
    means = class_means(rows, {clip: class_group(cls) for clip, cls in classes.items()})
    return {
        method: {
            group: {metric: means.get((method, group, metric), (None, 0))[0] for metric in names}
            for group in CLASS_GROUPS
        }
        for method in METHODS
    }


def quality_bar(means: dict) -> list[dict]:
    """The issue's bar, each line measured: (what, ours, theirs, met)."""
    bar = []
    for metric in BAR_METRICS["copysynth beats griffinlim"]:
        bar.append(
            {
                "claim": f"copysynth beats griffinlim on speech {metric}",
                "ours": means["copysynth"]["speech"][metric],
                "baseline": means["griffinlim"]["speech"][metric],
            }
        )
    for group in CLASS_GROUPS:
        for metric in BAR_METRICS["vae+hifigan beats vae+griffinlim"]:
            bar.append(
                {
                    "claim": f"vae+hifigan beats vae+griffinlim on {group} {metric}",
                    "ours": means["vae+hifigan"][group][metric],
                    "baseline": means["vae+griffinlim"][group][metric],
                    "lower_is_better": metric == "log_mel_l1",
                }
            )
    for line in bar:
        ours, base = line["ours"], line["baseline"]
        line["met"] = (
            None
            if ours is None or base is None
            else (ours < base if line.pop("lower_is_better", False) else ours > base)
        )
        line.pop("lower_is_better", None)
    return bar


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REFERENCE_DIR)
    args = parser.parse_args()
    from evals.gating.golden_set import clip_classes, golden_clips
    from evals.running.config import RunConfig
    from evals.running.runner import run

    layout = vae_layout(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        summary = run(
            RunConfig(
                outdir=Path(tmp) / "run",
                inputs=[str(e["path"]) for e in golden_clips().values()],
                methods=METHODS,
                weights=str(args.model),
                save_audio=False,
                progress=False,
            )
        )
        rows = read_records(Path(tmp) / "run")
    means = per_class_means(rows, clip_classes())
    quality = {
        "vae_log_mel_l1": layout,
        "per_class_means": means,
        "quality_bar": quality_bar(means),
        "packages": summary["environment"]["packages"],
    }
    (args.model / "quality.json").write_text(json.dumps(quality, indent=1) + "\n")
    training = json.loads((args.model / "training.json").read_text())
    (args.model / "README.md").write_text(model_card(training, quality))
    print((args.model / "README.md").read_text())
    return 0


def _data_lines(data: list[dict]) -> list[str]:
    lines = []
    for group in ("speech", "music", "environment"):
        mine = [d for d in data if d.get("class") == group]
        packages = sorted({f"{d['package']} {d['version']}" for d in mine})
        lines.append(
            f"  - {group}: {len(mine)} recordings, {readable(sum(d['duration_s'] for d in mine))} s, from "
            + ", ".join(packages)
        )
    return lines


def _vae_phases(vae: dict) -> list[dict]:
    """The VAE's training phases, first first (a fine-tune's record nests the one it started from)."""
    earlier = vae.get("fine_tuned_from")
    return [*(_vae_phases(earlier) if earlier else []), vae]


def _vae_phase(phase: dict) -> str:
    steps = phase.get("phase_steps", phase["steps"])
    start = "fine-tuned from the phase above" if "fine_tuned_from" in phase else "from scratch"
    if "widened" in phase:
        start += f", first widened ({phase['widened']})"
    sampling = f", {phase['sampling']}" if "sampling" in phase else ""
    return (
        f"{start}: {phase['objective']}; {steps} steps, batch {phase['batch']} x {phase['crop_frames']} "
        f"frames{sampling}, Adam lr {phase['learning_rate']}, {phase['schedule']}, seed {phase['seed']}, "
        f"{phase['threads']} thread(s) on {phase['device']}"
    )


def model_card(training: dict, quality: dict) -> str:
    """The model card, from the training records and the measured quality."""
    vae, voc = training["vae"], training.get("vocoder")
    layout, means = quality["vae_log_mel_l1"], quality["per_class_means"]
    long_enough = sum(d["duration_s"] * 100 + 1 >= vae["crop_frames"] for d in vae["data"])
    lines = [
        "# Reference models (NOT AudioLDM2's weights)",
        "",
        "A small diffusers `AutoencoderKL` (`vae/`) and a small transformers `SpeechT5HifiGan` "
        "(`vocoder/`) with AudioLDM2's interfaces (VAE: 1 input channel, 8 latent channels, x4 "
        "down-sampling, `[B, 1, T, 64]`; vocoder: 64 mels, 16 kHz, x160 up-sampling, `normalize_before` "
        "false; both on the natural-log mel of `codec.log_mel`), trained here on real recordings from "
        "pinned registry packages, so that every path of the codec is trained and gated without the real "
        "weights. One folder like the hub repo: `--weights golden/reference` gives all four methods, and "
        "it is the default when the real weights are absent.",
        "",
        "Rebuild: the commands in docs/golden.md (`python -m training.vae`, then its fine-tune with "
        "`--init`; `python -m training.vocoder`, resumable); measure: `python -m "
        "scripts.evaluate_reference`. Training records (data with sha256, steps, losses, versions): "
        "`training.json`; measurements: `quality.json`.",
        "",
        "## Training",
        "",
        f"- VAE: block_out_channels {vae['architecture']['block_out_channels']}, layers_per_block "
        f"{vae['architecture']['layers_per_block']}, {readable(vae['parameters'])} parameters; "
        f"{vae['steps']} steps in all, {readable(vae['training_seconds'])} s; {vae['audio_seconds']} s of "
        f"audio (it crops {vae['crop_frames']} frames, so it uses the {long_enough} recordings of at least "
        f"{readable((vae['crop_frames'] - 1) / 100)} s)",
        *[f"  - {_vae_phase(phase)}" for phase in _vae_phases(vae)],
    ]
    if voc:
        arch = voc["architecture"]
        lines.append(
            f"- vocoder: upsample_initial_channel {arch['upsample_initial_channel']}, resblock kernels "
            f"{arch['resblock_kernel_sizes']}, {readable(voc['parameters'])} parameters; {voc['objective']}; "
            f"{voc['steps']} steps, batch {voc['batch']} x {voc['crop_seconds']} s, {voc['optimiser']}, lr "
            f"{voc['learning_rate']}, seed {voc['seed']}, {voc['threads']} thread(s) on {voc['device']}, "
            f"{readable(voc['training_seconds'])} s ({readable(voc['training_seconds'] / 3600)} h); "
            f"{voc['audio_seconds']} s of audio"
        )
        if voc.get("phases"):
            lines.append(
                "- vocoder training commands, in turn (each resumes the previous one's checkpoint): "
                + "; ".join(
                    f"steps {p['from_step']}-{p['command']['until']}: `python -m training.vocoder "
                    f"--steps {p['command']['until']}"
                    + (
                        f" --adversarial-from {p['command']['adversarial_from']}`"
                        if p["command"]["adversarial_from"] is not None
                        else "`"
                    )
                    for p in voc["phases"]
                )
            )
    lines += [
        "- data (none of it in the golden set; the reserved evaluation packages are refused):",
        *_data_lines((voc or vae)["data"]),
        "",
        "## Measured on the golden set (12 unseen clips)",
        "",
        f"VAE-only log-mel L1 (natural log): **{readable(layout['mean_correct_layout'])}** in the "
        f"correct [B, 1, T, 64] layout; **{readable(layout['mean_transposed_layout'])}** when fed the "
        f"reports' transposed [B, 1, 64, T] ({readable(layout['ratio'])}x worse).",
        "",
    ]
    for group in CLASS_GROUPS:
        lines += [f"### {group}", "", group_table(means, group).markdown()]
    lines += [
        "### The quality bar",
        "",
        quality_bar_table(quality["quality_bar"]).markdown(),
        "`griffinlim` (no VAE, no neural vocoder) is shown for scale.",
        "",
    ]
    return "\n".join(lines)


def group_table(means: dict, group: str) -> Table:
    """Methods x the metrics quality.json holds means of (the headline metrics when it was written), for
    one card class."""
    names = list(next(iter(means.values()))[group])
    return Table(
        ("method", *names),
        [(method, *[readable(means[method][group][m]) for m in names]) for method in METHODS],
    )


def quality_bar_table(bar: list[dict]) -> Table:
    """Each claim of the quality bar: ours, the baseline, and whether it is met."""
    return Table(
        ("claim", "ours", "baseline", "met"),
        [
            (
                line["claim"],
                readable(line["ours"]),
                readable(line["baseline"]),
                "-" if line["met"] is None else ("yes" if line["met"] else bold("no")),
            )
            for line in bar
        ],
    )


if __name__ == "__main__":
    sys.exit(main())
