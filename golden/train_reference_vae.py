"""Train the small reference VAE that stands in for AudioLDM2's weights where they cannot be had.

    python golden/train_reference_vae.py --out golden/reference-vae [--steps N] [--seed 0] [--force]

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
import hashlib
import io
import json
import shutil
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import build  # noqa: E402  (golden/build.py: pinned fetch + sha256 checks)

SP = "/usr/share/sonic-pi/samples/"
SONIC = {"registry": "debian", "package": "sonic-pi-samples", "version": "3.2.2~repack-8", "archive": "deb"}
ALSA = {"registry": "debian", "package": "alsa-utils", "version": "1.2.8-1", "archive": "deb"}
PSX = {"registry": "pypi", "package": "pocketsphinx", "version": "5.1.1", "archive": "sdist"}
PYO = {"registry": "pypi", "package": "pyo", "version": "1.1.0", "archive": "wheel"}
OSS = {"registry": "pypi", "package": "opensoundscape", "version": "0.13.2", "archive": "wheel"}
LIBRIVOX = "pocketsphinx-5.1.1/test/data/librivox/sense_and_sensibility_01_austen_64kb-"

TRAINING_DATA = [  # (source, member, offset s, duration s or None for the rest)
    *[(PSX, f"{LIBRIVOX}{n}.wav", 0.0, None) for n in ("0880", "0890", "0920", "0930")],
    *[(ALSA, f"/usr/share/sounds/alsa/{n}.wav", 0.0, None)
      for n in ("Front_Left", "Front_Right", "Rear_Center", "Rear_Left", "Side_Left")],
    *[(SONIC, SP + f"{n}.flac", 0.0, None) for n in (
        "loop_amen", "loop_breakbeat", "loop_compus", "loop_garzul", "loop_mika", "loop_safari",
        "loop_perc1", "drum_roll", "guit_e_fifths", "guit_harmonics", "guit_e_slide", "ambi_choir",
        "ambi_drone", "ambi_glass_hum", "bass_voxy_c", "perc_bell", "tabla_ghe5", "ambi_sauna",
        "misc_cineboom")],
    (PYO, "pyo/examples/snds/baseballmajeur_m.aif", 0.0, None),
    (PYO, "pyo/examples/snds/ounkmaster.aif", 0.0, None),
    (OSS, "opensoundscape/sample_data/birds_10s.wav", 4.5, None),  # golden uses 2.0-4.0 s
]

ARCHITECTURE = dict(in_channels=1, out_channels=1, latent_channels=8, block_out_channels=[16, 32, 64],
                    down_block_types=["DownEncoderBlock2D"] * 3, up_block_types=["UpDecoderBlock2D"] * 3,
                    layers_per_block=1, norm_num_groups=8, sample_size=256, scaling_factor=1.0)
"""AudioLDM2's VAE with narrower blocks ([128, 256, 512], 2 layers each, there): measured 0.68 s
per training step (batch 8 x 128 frames) on this project's 2-core CPU."""
CROP_FRAMES = 128
BATCH = 8
KL_WEIGHT = 1e-4
LEARNING_RATE = 2e-3


def fetch_training_audio(cache: Path) -> tuple[list[np.ndarray], list[dict]]:
    """16 kHz mono float32 waves and their provenance; refuses anything in the golden set."""
    import soundfile as sf

    from codec.audio import to_mono_16k

    golden = {(e["source"]["package"], e["source"]["member"]) for e in build.load_manifest()["excerpts"]
              if e.get("set") == "golden"}
    waves, provenance, archives = [], [], {}
    for source, member, offset, duration in TRAINING_DATA:
        if (source["package"], member) in golden and source["package"] != "opensoundscape":
            raise SystemExit(f"{member} is in the golden set; training data must not be")
        key = (source["package"], source["version"])
        if key not in archives:
            archives[key] = cache / f"{source['package']}-{source['version']}"
            archives[key].mkdir(parents=True, exist_ok=True)
        data = _member(source, member, archives[key])
        wave, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
        start = round(offset * rate)
        stop = None if duration is None else start + round(duration * rate)
        waves.append(to_mono_16k(wave[start:stop].T, rate))
        provenance.append({**source, "member": member, "offset_s": offset, "duration_s": round(len(waves[-1]) / 16000, 3),
                           "member_sha256": hashlib.sha256(data).hexdigest()})
    return waves, provenance


def _member(source: dict, member: str, folder: Path) -> bytes:
    marker = folder / ".fetched"
    if not marker.exists():
        build.fetch_member({**source, "member": member}, folder)  # downloads (and unpacks a .deb)
        marker.touch()
    if source["registry"] == "debian":
        return (folder / "root" / member.lstrip("/")).read_bytes()
    archive = next(p for p in folder.iterdir() if p.name.lower().startswith(source["package"].lower()))
    if archive.suffix in (".whl", ".zip"):
        return zipfile.ZipFile(archive).read(member)
    return tarfile.open(archive).extractfile(member).read()


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


def train(mels: list[torch.Tensor], steps: int, seed: int, device: torch.device, log_every: int = 50):
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
        loss = l1 + KL_WEIGHT * kl
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
    parser.add_argument("--out", type=Path, default=HERE / "reference-vae")
    parser.add_argument("--steps", type=int, default=1800)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (fixed for determinism)")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "audioldm2-codec-harness")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    if args.out.exists() and not args.force:
        raise SystemExit(f"{args.out} exists; pass --force to replace it")
    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    waves, provenance = fetch_training_audio(args.cache)
    mels = log_mels(waves)
    seconds = sum(len(w) for w in waves) / 16000
    print(f"training on {len(mels)} recordings, {seconds:.1f} s of audio, {args.steps} steps on {device}", flush=True)
    model, history = train(mels, args.steps, args.seed, device)
    staging = Path(tempfile.mkdtemp(prefix=".reference-vae.", dir=args.out.parent))
    model.to("cpu").save_pretrained(staging / "vae")
    from evals.provenance import package_versions

    card = {"architecture": ARCHITECTURE, "parameters": sum(p.numel() for p in model.parameters()),
            "objective": f"mean |log-mel - recon| + {KL_WEIGHT} x KL per input value (posterior sample)",
            "steps": args.steps, "batch": BATCH, "crop_frames": CROP_FRAMES, "learning_rate": LEARNING_RATE,
            "schedule": "one-cycle (5 % warm-up)", "seed": args.seed, "threads": args.threads,
            "device": str(device), "audio_seconds": round(seconds, 1), "data": provenance,
            "history": history, "packages": package_versions()}
    (staging / "training.json").write_text(json.dumps(card, indent=1) + "\n")
    if args.out.exists():
        shutil.rmtree(args.out)
    staging.rename(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
