"""The training recordings of the reference models (VAE and vocoder): pinned registry packages only.

    from training.data import fetch_training_audio
    waves, provenance = fetch_training_audio(cache)     # 16 kHz mono float32 waves + where each came from

About 18 minutes of real audio: speech (meeting and read speech from pyannote.audio's and
silero-vad's test data, pocketsphinx's test recordings, Praat's examples, alsa-utils' voice
prompts), music and environmental sound (sonic-pi-samples, pyo's example sounds). Disjoint from
the golden evaluation set by whole recording: a member the golden manifest cuts from is never used
(`loop_amen` is left out too: it is the same drum break as the golden `loop_amen_full`), and the
packages reserved for held-out evaluation (speech-dispatcher, codec2-examples, dcase_util,
music21) are refused. Every member's sha256 is recorded; each package is downloaded once into
the cache.
"""

from __future__ import annotations

import hashlib
import io
import sys
from pathlib import Path

import numpy as np

from codec.audio import to_mono_16k
from scripts import build_golden

RESERVED = {"speech-dispatcher", "codec2-examples", "dcase_util", "music21"}

PYANNOTE = {
    "registry": "pypi",
    "package": "pyannote.audio",
    "version": "4.0.7",
    "archive": "sdist",
    "licence": "MIT (pyannote.audio)",
}
SILERO = {
    "registry": "pypi",
    "package": "silero-vad",
    "version": "6.2.3",
    "archive": "sdist",
    "licence": "MIT (silero-vad)",
}
PSX = {
    "registry": "pypi",
    "package": "pocketsphinx",
    "version": "5.1.1",
    "archive": "sdist",
    "licence": "BSD-2-Clause (pocketsphinx); LibriVox recordings public domain",
}
PRAAT = {
    "registry": "pypi",
    "package": "praat-parselmouth",
    "version": "0.4.7",
    "archive": "sdist",
    "licence": "GPL-3.0-or-later (Parselmouth)",
}
ALSA = {
    "registry": "debian",
    "package": "alsa-utils",
    "version": "1.2.8-1",
    "archive": "deb",
    "licence": "GPL-2",
}
SONIC = {
    "registry": "debian",
    "package": "sonic-pi-samples",
    "version": "3.2.2~repack-8",
    "archive": "deb",
    "licence": "CC0-1.0",
}
PYO = {
    "registry": "pypi",
    "package": "pyo",
    "version": "1.1.0",
    "archive": "wheel",
    "licence": "LGPL-3.0-or-later",
}

SP = "/usr/share/sonic-pi/samples/"
SONIC_FILES = (
    "ambi_choir ambi_dark_woosh ambi_drone ambi_glass_hum ambi_glass_rub ambi_haunted_hum ambi_lunar_land "
    "ambi_sauna ambi_soft_buzz ambi_swoosh bass_dnb_f bass_drop_c bass_hard_c bass_thick_c bass_voxy_c "
    "bass_woodsy_c drum_roll drum_cymbal_open drum_splash_hard drum_snare_hard drum_tom_mid_hard "
    "guit_e_fifths guit_e_slide guit_harmonics loop_3d_printer loop_breakbeat loop_compus loop_drone_g_97 "
    "loop_electric loop_garzul loop_industrial loop_mehackit1 loop_mehackit2 loop_mika loop_perc1 loop_perc2 "
    "loop_safari loop_weirdo mehackit_phone1 mehackit_robot1 misc_burp misc_cineboom misc_crow perc_bell "
    "perc_bell2 perc_door perc_impact1 perc_swash perc_till tabla_ghe5 tabla_na tabla_tun1 tabla_te_ne "
    "vinyl_backspin vinyl_rewind vinyl_scratch"
).split()
ENVIRONMENT_PREFIXES = (
    "ambi_dark",
    "ambi_lunar",
    "ambi_sauna",
    "ambi_soft",
    "ambi_swoosh",
    "misc_",
    "vinyl_",
    "perc_door",
    "perc_swash",
    "perc_till",
    "loop_3d_printer",
    "loop_industrial",
)

TRAINING_DATA = [  # (source, member, class)
    *[
        (PYANNOTE, f"pyannote_audio-4.0.7/tests/data/{n}.wav", "speech")
        for n in (
            "dev00",
            "dev01",
            "trn01",
            "trn02",
            "trn03",
            "trn04",
            "trn05",
            "trn06",
            "trn07",
            "trn08",
            "trn09",
            "tst00",
            "tst01",
        )
    ],
    (PYANNOTE, "pyannote_audio-4.0.7/src/pyannote/audio/sample/sample.wav", "speech"),
    (SILERO, "silero_vad-6.2.3/tests/data/test.wav", "speech"),
    (SILERO, "silero_vad-6.2.3/examples/c++/aepyx.wav", "speech"),
    *[
        (PSX, f"pocketsphinx-5.1.1/test/data/librivox/sense_and_sensibility_01_austen_64kb-{n}.wav", "speech")
        for n in ("0880", "0890", "0920", "0930")
    ],
    *[(PSX, f"pocketsphinx-5.1.1/test/data/cards/00{n}.wav", "speech") for n in range(1, 6)],
    *[(PSX, f"pocketsphinx-5.1.1/test/data/forever/input_{n}_16k.wav", "speech") for n in (2, 4)],
    (PSX, "pocketsphinx-5.1.1/test/regression/chan3.wav", "speech"),
    *[
        (PRAAT, f"praat_parselmouth-0.4.7/docs/examples/audio/{n}.wav", "speech")
        for n in (
            "the_north_wind_and_the_sun",
            "bat",
            "bet",
            "1_b",
            "1_y",
            "2_b",
            "2_y",
            "3_b",
            "3_y",
            "4_b",
            "4_y",
            "5_b",
            "5_y",
        )
    ],
    *[
        (ALSA, f"/usr/share/sounds/alsa/{n}.wav", "speech")
        for n in (
            "Front_Left",
            "Front_Right",
            "Rear_Center",
            "Rear_Left",
            "Rear_Right",
            "Side_Left",
            "Side_Right",
        )
    ],
    *[
        (SONIC, f"{SP}{n}.flac", "environment" if n.startswith(ENVIRONMENT_PREFIXES) else "music")
        for n in SONIC_FILES
    ],
    *[
        (PYO, f"pyo/examples/snds/{n}", "music")
        for n in (
            "baseballmajeur_m.aif",
            "ounkmaster.aif",
            "alum1.wav",
            "alum2.wav",
            "alum3.wav",
            "alum4.wav",
        )
    ],
    (PYO, "pyo/lib/snds/accord.aif", "music"),
]


def check_disjoint(entries=TRAINING_DATA) -> None:
    """Raises SystemExit when a training member is cut for the golden set or comes from a reserved package."""
    excerpts = build_golden.load_manifest()["excerpts"]
    golden = {(e["source"]["package"], e["source"]["member"]) for e in excerpts}
    golden.add(("sonic-pi-samples", SP + "loop_amen.flac"))  # the golden loop_amen_full's own break
    for source, member, _ in entries:
        if source["package"] in RESERVED:
            raise SystemExit(f"{source['package']} is reserved for held-out evaluation; do not train on it")
        if (source["package"], member) in golden:
            raise SystemExit(
                f"{member} ({source['package']}) is in the golden set; training data must not be"
            )


def fetch_training_audio(cache: Path, entries=TRAINING_DATA) -> tuple[list[np.ndarray], list[dict]]:
    """16 kHz mono float32 waves `[N]` and their provenance (package, member, class, seconds, sha256)."""
    import soundfile as sf

    check_disjoint(entries)
    waves, provenance = [], []
    for source, member, kind in entries:
        data = member_bytes(source, member, cache)
        wave, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
        waves.append(to_mono_16k(wave.T, rate))
        provenance.append(
            {
                **source,
                "member": member,
                "class": kind,
                "duration_s": round(len(waves[-1]) / 16000, 3),
                "member_sha256": hashlib.sha256(data).hexdigest(),
            }
        )
    return waves, provenance


def member_bytes(source: dict, member: str, cache: Path) -> bytes:
    """The member's bytes from the pinned package (downloaded into `cache` once by
    scripts/build_golden.py)."""
    folder = cache / f"{source['package']}-{source['version']}"
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / ".fetched"
    if not marker.exists():
        build_golden.download_package(source, folder)
        marker.touch()
    return build_golden.read_member(source, member, folder)


if __name__ == "__main__":
    cache = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.home() / ".cache" / "audioldm2-codec-harness"
    waves, provenance = fetch_training_audio(cache)
    for kind in ("speech", "music", "environment"):
        seconds = sum(p["duration_s"] for p in provenance if p["class"] == kind)
        print(f"{kind}: {sum(p['class'] == kind for p in provenance)} recordings, {seconds:.0f} s")
    print(f"total {sum(p['duration_s'] for p in provenance):.0f} s")


def record_training(out: Path, part: str, record: dict) -> None:
    """Sets `OUT/training.json[part]` ("vae" or "vocoder") to `record`, keeping the other part (atomic)."""
    import json
    import os

    path = out / "training.json"
    card = json.loads(path.read_text()) if path.is_file() else {}
    card[part] = record
    tmp = path.with_name(".training.json.part")
    tmp.write_text(json.dumps(card, indent=1) + "\n")
    os.replace(tmp, path)


def install_folder(staging: Path, target: Path) -> None:
    """Moves the finished `staging` folder to `target` (e.g. OUT/vae), replacing the old one."""
    import os
    import shutil

    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)
