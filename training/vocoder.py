"""Train the small reference vocoder (a narrow `SpeechT5HifiGan`) that stands in for AudioLDM2's.

    python -m training.vocoder --out golden/reference [--steps 5000] [--max-minutes 90]
    python -m training.vocoder --out golden/reference --export-only   # checkpoint -> OUT/vocoder

Interface: AudioLDM2's vocoder (64 mels, 16 kHz, x160 up-sampling [5, 4, 2, 2, 2],
`normalize_before` false), input the natural-log mel `[B, T, 64]` of `codec.log_mel`, output
`160 T + 32` samples of which the first `160 T` line up with the input wave. Only narrower.

Objective (AdamW with cosine decay over `--steps`): 4-resolution STFT loss (spectral convergence +
log-magnitude L1) plus L1 between `codec.log_mel` of the output and of the target; with
`--adversarial-from STEP`, HiFi-GAN's multi-period and multi-scale discriminators
(training/discriminators.py) join at that step, with least-squares adversarial and feature-matching
terms. Crops are prepared like the codec prepares a clip (`codec.frontend.prepare_waveform`: DC
removed, peak 0.5).

Checkpoint and resume: the whole state (model, optimiser, step, crop generator, history, and
the discriminators with their optimiser once they have joined) is
saved atomically every `--save-every` steps and when `--max-minutes` runs out, to
`OUT/.vocoder-checkpoint.pt`; running the same command again resumes from it, and a resumed run
gives the same weights as an uninterrupted one (seeded crops, fixed threads; one machine).
When `--steps` is reached (or with `--export-only`) the model is written to `OUT/vocoder/`
(config + safetensors) and its record to `OUT/training.json` (key "vocoder").

Device: `--device auto` (the default) trains on CUDA where there is one, else on the CPU. Crops
are drawn on the CPU either way (the same seeded crops), then moved. A checkpoint resumes on
either device. On a GPU, cuDNN's kernels make a resumed run close to, not bit-equal with, an
uninterrupted one.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from evals.gating.golden_set import REFERENCE_DIR

ARCHITECTURE = dict(
    model_in_dim=64,
    sampling_rate=16000,
    upsample_initial_channel=128,
    upsample_rates=[5, 4, 2, 2, 2],
    upsample_kernel_sizes=[16, 16, 8, 4, 4],
    resblock_kernel_sizes=[3, 7],
    resblock_dilation_sizes=[[1, 3, 5]] * 2,
    normalize_before=False,
)
"""AudioLDM2's vocoder has upsample_initial_channel 1024 and resblock kernels [3, 7, 11]; this one is 8x
narrower and drops the kernel-11 resblocks (0.56 M parameters), which cost half its training time
(docs/measurements/timings.md)."""
CROP_FRAMES = 75  # 0.75 s: 12,000 samples
BATCH = 8
LEARNING_RATE = 1e-3
STFT_RESOLUTIONS = ((512, 128, 512), (1024, 256, 1024), (256, 64, 256), (2048, 512, 2048))  # fft, hop, win
CHECKPOINT_NAME = ".vocoder-checkpoint.pt"
DISCRIMINATOR_WIDTH = 0.125
DISCRIMINATOR_SAMPLES = 4096
"""HiFi-GAN's discriminator channels x 1/8 (1.1 M parameters), judging a 4096-sample window of each
crop (HiFi-GAN: 8192 at 22.05 kHz): over the whole 12,000-sample batch the multi-scale discriminator
cost five times the multi-period one (docs/measurements/timings.md)."""
ADVERSARIAL_WEIGHT = 0.25
FEATURE_MATCHING_WEIGHT = 2.0
"""With --adversarial-from, the generator's loss adds 0.25 x (least-squares adversarial + 2 x feature
matching, each summed over the 8 sub-discriminators; HiFi-GAN's 1 : 2 ratio). Measured when they
joined the step-5000 checkpoint: adversarial 2.2, feature matching 0.14 (2.0-2.8 after 600 steps),
against STFT 1.7 + mel 0.5: about a quarter of the generator's loss."""


def build_vocoder(seed: int, **overrides):
    """A freshly initialised `SpeechT5HifiGan` with ARCHITECTURE (seeded)."""
    from transformers import SpeechT5HifiGan, SpeechT5HifiGanConfig

    torch.manual_seed(seed)
    return SpeechT5HifiGan(SpeechT5HifiGanConfig(**{**ARCHITECTURE, **overrides}))


def crops(waves: list[np.ndarray], generator: torch.Generator, batch: int = BATCH, frames: int = CROP_FRAMES):
    """One seeded batch: prepared waves `[batch, 160 * frames]` and their log-mels
    `[batch, frames + 1, 64]`."""
    from codec.frontend import log_mel, prepare_waveform

    length = 160 * frames
    usable = [w for w in waves if len(w) > length]
    weights = torch.tensor([len(w) - length for w in usable], dtype=torch.float64)
    picks = torch.multinomial(weights, batch, replacement=True, generator=generator).tolist()
    out = []
    for i in picks:
        start = int(torch.randint(0, len(usable[i]) - length, (1,), generator=generator))
        out.append(torch.from_numpy(usable[i][start : start + length]))
    wave = prepare_waveform(torch.stack(out)).wave
    return wave, log_mel(wave)


def stft_loss(estimate: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Multi-resolution STFT loss: mean over resolutions of spectral convergence + log-magnitude L1."""
    total = estimate.new_zeros(())
    for n_fft, hop, win in STFT_RESOLUTIONS:
        window = torch.hann_window(win, device=estimate.device)
        e, t = (
            torch.stft(x, n_fft, hop, win, window, return_complex=True).abs().clamp_min(1e-7)
            for x in (estimate, target)
        )
        total = total + torch.linalg.norm(t - e) / torch.linalg.norm(t) + (t.log() - e.log()).abs().mean()
    return total / len(STFT_RESOLUTIONS)


def train_steps(
    state: dict,
    waves: list[np.ndarray],
    until: int,
    deadline: float,
    save,
    save_every: int,
    log_every: int = 50,
    stop_at: int | None = None,
) -> bool:
    """Trains `state` (model, optimiser, generator, step, history; discriminators once the step
    reaches `state["adversarial_from"]`) up to step `until` (the schedule's length) or the deadline
    (or `stop_at`, a step before `until`: an interruption, for tests).

    Returns True when `until` was reached. Calls `save(state)` every `save_every` steps.
    """
    from codec.frontend import log_mel

    model, optimiser, generator = state["model"], state["optimiser"], state["generator"]
    model.train()
    start = time.perf_counter() - state["seconds"]
    phase = {"until": until, "adversarial_from": state["adversarial_from"]}
    if state["step"] < until and (not state["phases"] or state["phases"][-1]["command"] != phase):
        state["phases"].append({"from_step": state["step"], "command": phase})
    while state["step"] < until:
        if time.time() > deadline or state["step"] == stop_at:
            return False
        adversarial = state["adversarial_from"] is not None and state["step"] >= state["adversarial_from"]
        if adversarial and "discriminators" not in state:
            add_discriminators(state)
        rate = learning_rate(state["step"], until)
        for opt in (optimiser, state.get("d_optimiser")):
            for group in opt.param_groups if opt else ():
                group["lr"] = rate
        wave, mel = (t.to(state["device"]) for t in crops(waves, generator))
        estimate = model(mel)[:, : wave.shape[-1]]
        if (
            adversarial
        ):  # the discriminators judge one seeded window of each batch (their cost grows with length)
            at = int(torch.randint(0, wave.shape[-1] - DISCRIMINATOR_SAMPLES + 1, (1,), generator=generator))
            judged = slice(at, at + DISCRIMINATOR_SAMPLES)
            d_loss = discriminator_step(state, wave[:, judged], estimate[:, judged].detach())
        mel_l1 = (log_mel(estimate) - mel).abs().mean()
        stft = stft_loss(estimate, wave)
        loss = stft + mel_l1
        if adversarial:
            from training.discriminators import generator_loss

            with torch.no_grad():
                real = state["discriminators"](wave[:, judged])
            adv, matching = generator_loss(real, state["discriminators"](estimate[:, judged]))
            loss = loss + ADVERSARIAL_WEIGHT * (adv + FEATURE_MATCHING_WEIGHT * matching)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        optimiser.step()
        state["step"] += 1
        state["seconds"] = time.perf_counter() - start
        if state["step"] % log_every == 0:
            entry = {
                "step": state["step"],
                "stft": round(stft.item(), 4),
                "mel_l1": round(mel_l1.item(), 4),
                "seconds": round(state["seconds"], 1),
            }
            if adversarial:
                entry.update(
                    adversarial=round(adv.item(), 4),
                    feature_matching=round(matching.item(), 4),
                    discriminator=round(d_loss, 4),
                )
            state["history"].append(entry)
            print(
                f"step {state['step']}/{until}: "
                + ", ".join(f"{k} {v}" for k, v in entry.items() if k != "step"),
                flush=True,
            )
        if state["step"] % save_every == 0:
            save(state)
    return True


def add_discriminators(state: dict) -> None:
    """HiFi-GAN's multi-period and multi-scale discriminators (training/discriminators.py), seeded."""
    from training.discriminators import Discriminators

    torch.manual_seed(state["seed"] + 1)
    state["discriminators"] = Discriminators(DISCRIMINATOR_WIDTH).train().to(state["device"])
    state["d_optimiser"] = torch.optim.AdamW(
        state["discriminators"].parameters(), lr=LEARNING_RATE, betas=(0.8, 0.99)
    )


def discriminator_step(state: dict, wave: torch.Tensor, estimate: torch.Tensor) -> float:
    """One least-squares update of the discriminators on real `[B, N]` vs generated `[B, N]` waves."""
    from training.discriminators import discriminator_loss

    discriminators = state["discriminators"]
    loss = discriminator_loss(discriminators(wave), discriminators(estimate))
    state["d_optimiser"].zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(discriminators.parameters(), 10.0)
    state["d_optimiser"].step()
    return loss.item()


def learning_rate(step: int, total: int) -> float:
    """Cosine decay from LEARNING_RATE to a tenth of it at `total` steps."""
    return LEARNING_RATE * (0.1 + 0.45 * (1 + math.cos(math.pi * min(step, total) / total)))


def new_state(seed: int, adversarial_from: int | None = None, device: str = "cpu", **overrides) -> dict:
    """A fresh training state on `device`; the discriminators join at step `adversarial_from`
    (None: never)."""
    model = build_vocoder(seed, **overrides).to(device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, betas=(0.8, 0.99))
    return {
        "model": model,
        "optimiser": optimiser,
        "generator": torch.Generator().manual_seed(seed),
        "step": 0,
        "seconds": 0.0,
        "history": [],
        "seed": seed,
        "adversarial_from": adversarial_from,
        "phases": [],
        "device": torch.device(device),
    }


def save_checkpoint(state: dict, path: Path) -> None:
    """Atomic: written beside, then renamed over the previous checkpoint."""
    tmp = path.with_name(path.name + ".tmp")
    torch.save(
        {
            "model": state["model"].state_dict(),
            "optimiser": state["optimiser"].state_dict(),
            "generator": state["generator"].get_state(),
            "step": state["step"],
            "seconds": state["seconds"],
            "history": state["history"],
            "phases": state["phases"],
            "seed": state["seed"],
            "config": state["model"].config.to_dict(),
            **(
                {
                    "discriminators": state["discriminators"].state_dict(),
                    "d_optimiser": state["d_optimiser"].state_dict(),
                }
                if "discriminators" in state
                else {}
            ),
        },
        tmp,
    )
    os.replace(tmp, path)


def load_checkpoint(
    path: Path, seed: int, adversarial_from: int | None = None, device: str = "cpu", **overrides
) -> dict:
    """The state saved at `path`, on `device` (whichever it was saved from); `adversarial_from` as given
    now (discriminators resume if saved)."""
    import pickle

    try:  # tensors and plain values only: a planted checkpoint cannot run code when it is read
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        reason = " ".join(str(err).split())[:200]
        raise SystemExit(
            f"{path} holds more than tensors and plain values; refusing to load it ({reason}); "
            f"delete it to start over"
        ) from err
    if saved["seed"] != seed:
        raise SystemExit(f"{path} was trained with seed {saved['seed']}, not {seed}; delete it to start over")
    state = new_state(seed, adversarial_from, device, **overrides)
    if "discriminators" in saved:
        add_discriminators(state)
        state["discriminators"].load_state_dict(saved["discriminators"])
        state["d_optimiser"].load_state_dict(saved["d_optimiser"])
    state["model"].load_state_dict(saved["model"])
    state["optimiser"].load_state_dict(saved["optimiser"])
    state["generator"].set_state(saved["generator"])
    state.update(
        step=saved["step"], seconds=saved["seconds"], history=saved["history"], phases=saved.get("phases", [])
    )  # a checkpoint from before phases were kept: none known
    return state


def export(state: dict, out: Path, provenance: list[dict], threads: int) -> None:
    """Writes `out/vocoder/` (staged, then moved into place) and `out/training.json["vocoder"]`."""
    import tempfile

    from evals.provenance import package_versions
    from training.data import install_folder, record_training

    staging = Path(tempfile.mkdtemp(prefix=".vocoder.", dir=out))
    state["model"].eval().to("cpu").save_pretrained(staging)
    record_training(
        out,
        "vocoder",
        {
            "architecture": ARCHITECTURE,
            "parameters": sum(p.numel() for p in state["model"].parameters()),
            "objective": "4-resolution STFT loss (spectral convergence + log-magnitude L1) "
            "+ L1 of codec.log_mel"
            + (
                f"; from step {state['adversarial_from']}: + {ADVERSARIAL_WEIGHT} x "
                f"(least-squares adversarial + "
                f"{FEATURE_MATCHING_WEIGHT} x feature matching) of HiFi-GAN's multi-period and multi-scale "
                f"discriminators (channels x {DISCRIMINATOR_WIDTH})"
                if "discriminators" in state
                else "; no discriminators"
            ),
            "resolutions_fft_hop_win": STFT_RESOLUTIONS,
            "steps": state["step"],
            "batch": BATCH,
            "crop_seconds": CROP_FRAMES * 160 / 16000,
            "learning_rate": LEARNING_RATE,
            "optimiser": "AdamW betas (0.8, 0.99), cosine decay to a tenth over the steps, "
            "gradient norm clipped at 10",
            "seed": state["seed"],
            "threads": threads,
            "device": str(state["device"]),
            "training_seconds": round(state["seconds"], 1),
            "audio_seconds": round(sum(p["duration_s"] for p in provenance), 1),
            "phases": state["phases"],
            "data": provenance,
            "history": state["history"],
            "packages": package_versions(),
        },
    )
    install_folder(staging, out / "vocoder")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REFERENCE_DIR)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (fixed for determinism)")
    parser.add_argument("--max-minutes", type=float, default=None, help="stop (checkpointed) after this long")
    parser.add_argument("--save-every", type=int, default=200)
    parser.add_argument(
        "--adversarial-from",
        type=int,
        default=None,
        metavar="STEP",
        help="HiFi-GAN's discriminators join at this step (default: never; GAN-free)",
    )
    parser.add_argument(
        "--export-only", action="store_true", help="write the checkpoint's model to OUT/vocoder"
    )
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "audioldm2-codec-harness")
    parser.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="auto: CUDA where there is one, else the CPU",
    )
    args = parser.parse_args()
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    if device == "cuda" and not torch.cuda.is_available():
        raise SystemExit(
            "--device cuda: no CUDA device here (torch.cuda.is_available() is False); use --device cpu"
        )
    from training.data import fetch_training_audio

    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    checkpoint = args.out / CHECKPOINT_NAME
    waves, provenance = fetch_training_audio(args.cache)
    if checkpoint.exists():
        state = load_checkpoint(checkpoint, args.seed, args.adversarial_from, device)
        print(f"resuming from {checkpoint} at step {state['step']}", flush=True)
    elif args.export_only:
        raise SystemExit(f"no checkpoint at {checkpoint} to export")
    else:
        state = new_state(args.seed, args.adversarial_from, device)
    if not args.export_only:
        print(
            f"training on {len(waves)} recordings, {sum(len(w) for w in waves) / 16000:.0f} s of audio, "
            f"to step {args.steps}, on {device} ({args.threads} CPU thread(s))",
            flush=True,
        )
        deadline = time.time() + 60 * args.max_minutes if args.max_minutes else float("inf")
        done = train_steps(
            state, waves, args.steps, deadline, lambda s: save_checkpoint(s, checkpoint), args.save_every
        )
        save_checkpoint(state, checkpoint)
        if not done:
            print(
                f"stopped at step {state['step']} (time budget); run the same command to resume", flush=True
            )
            return 0
    export(state, args.out, provenance, args.threads)
    print(f"wrote {args.out / 'vocoder'} (step {state['step']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
