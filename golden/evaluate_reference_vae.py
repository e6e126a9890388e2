"""Measure the reference VAE on the golden set (none of it seen in training) and write
golden/reference-vae/quality.json and the model card README.md (rendered from training.json and
quality.json: every number in it is measured).

    python golden/evaluate_reference_vae.py [--model golden/reference-vae]

VAE-only log-mel L1 per clip, in the correct layout ([B, 1, T, 64]) and transposed
([B, 1, 64, T], the reports' mistake, bypassing the codec's guard); then the golden-set run of
vae+griffinlim with this model (PESQ, STOI, band retention, ...).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=HERE / "reference-vae")
    args = parser.parse_args()
    from codec.loading import load_autoencoder
    from evals.gating.golden_set import golden_clips
    from evals.running.runner import run

    model = load_autoencoder(args.model).eval()
    per_clip = {cid: dict(zip(("correct", "transposed"), layout_l1(model, mel)))
                for cid, mel in golden_log_mels().items()}
    mean = {k: sum(v[k] for v in per_clip.values()) / len(per_clip) for k in ("correct", "transposed")}
    with tempfile.TemporaryDirectory() as tmp:
        summary = run([str(e["path"]) for e in golden_clips().values()], ["vae+griffinlim", "griffinlim"],
                      Path(tmp) / "run", weights=str(args.model), save_audio=False, progress=False)
    headline = ("log_mel_l1", "pesq_wb", "stoi", "visqol_speech", "dnsmos_ovrl", "band_retention_low", "band_retention_mid",
                "band_retention_high", "band_lsd_high", "mrstft", "snr_raw")
    quality = {
        "vae_log_mel_l1": {"mean_correct_layout": mean["correct"], "mean_transposed_layout": mean["transposed"],
                           "ratio": mean["transposed"] / mean["correct"], "per_clip": per_clip},
        "golden_set_means": {m: {k: summary["methods"][m]["metrics"][k]["mean"] for k in headline}
                             for m in ("vae+griffinlim", "griffinlim")},
        "packages": summary["environment"]["packages"],
    }
    (args.model / "quality.json").write_text(json.dumps(quality, indent=1) + "\n")
    training = json.loads((args.model / "training.json").read_text())
    (args.model / "README.md").write_text(model_card(training, quality))
    print(json.dumps({k: quality[k] for k in ("golden_set_means",)}, indent=1))
    print(f"VAE-only log-mel L1: correct {mean['correct']:.3f}, transposed {mean['transposed']:.3f} "
          f"({mean['transposed'] / mean['correct']:.1f}x)")
    return 0


def model_card(training: dict, quality: dict) -> str:
    """The model card, from the training record and the measured quality."""
    fmt = lambda v: "-" if v is None else f"{v:.3f}"
    layout = quality["vae_log_mel_l1"]
    means = quality["golden_set_means"]
    metrics = list(next(iter(means.values())))
    last = training["history"][-1]
    sources = sorted({f"{d['package']} {d['version']} ({d['registry']})" for d in training["data"]})
    lines = [
        "# Reference VAE (NOT AudioLDM2's weights)", "",
        "A small diffusers `AutoencoderKL` with AudioLDM2's interface (1 input channel, 8 latent channels, "
        "x4 down-sampling in time and frequency, `[B, 1, T, 64]` natural-log mels from `codec.log_mel`), "
        "trained here so that the quality gates mean something without the real weights. "
        "Rebuild: `python golden/train_reference_vae.py --force`; measure: `python golden/evaluate_reference_vae.py`.", "",
        "## Training", "",
        f"- architecture: block_out_channels {training['architecture']['block_out_channels']}, "
        f"layers_per_block {training['architecture']['layers_per_block']}, {training['parameters']:,} parameters",
        f"- objective: {training['objective']}",
        f"- {training['steps']} steps, batch {training['batch']} x {training['crop_frames']} frames, "
        f"Adam lr {training['learning_rate']} ({training['schedule']}), seed {training['seed']}, "
        f"{training['threads']} threads on {training['device']}, {last['seconds']:.0f} s",
        f"- final training batch: log-mel L1 {last['l1']}, KL {last['kl']}",
        f"- data: {len(training['data'])} real recordings, {training['audio_seconds']} s, none of them in the "
        f"golden set (listed with sha256 in training.json) from: " + "; ".join(sources),
        f"- packages: torch {training['packages'].get('torch')}, diffusers {training['packages'].get('diffusers')}", "",
        "## Measured on the golden set (12 unseen clips)", "",
        f"VAE-only log-mel L1 (natural log): **{fmt(layout['mean_correct_layout'])}** in the correct "
        f"[B, 1, T, 64] layout; **{fmt(layout['mean_transposed_layout'])}** when fed the reports' transposed "
        f"[B, 1, 64, T] ({layout['ratio']:.1f}x worse).", "",
        "| method | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics),
    ]
    for method, values in means.items():
        lines.append(f"| {method} | " + " | ".join(fmt(values[m]) for m in metrics) + " |")
    lines += ["", "`griffinlim` (no VAE) is shown for scale: the VAE's own cost is the difference.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
