"""Training of the reference models in golden/reference (a small VAE and vocoder with AudioLDM2's
interfaces). Run from the repository root; see docs/golden.md for the commands that built them:

    python -m training.vae --out golden/reference [--steps N] [--init VAE_DIR] [--widen]
    python -m training.vocoder --out golden/reference [--steps N] [--adversarial-from STEP]

- data.py: the pinned training recordings (disjoint from the golden set)
- vae.py, vocoder.py: the trainers; discriminators.py: HiFi-GAN's discriminators and losses
- widening.py: Net2WiderNet for a trained VAE
"""
