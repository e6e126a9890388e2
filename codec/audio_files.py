"""Reading and writing audio files safely (soundfile: wav, flac, ogg and what libsndfile knows).

Writes are atomic (a temporary file in the target folder, then `os.replace`), never overwrite an
existing file unless `force=True`, and never write over the input file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from .atomic import atomic_write, check_output
from .errors import InvalidAudioError
from .resources import audio_bytes, check_memory

WRITE_SUBTYPES = {"WAV": "FLOAT", "FLAC": "PCM_24", "OGG": "VORBIS"}
"""Output sample format by container: float WAV keeps the decoder's float32 samples exactly."""


def read_audio(path) -> tuple[np.ndarray, int]:
    """Reads an audio file.

    Args:
        path: file path (anything libsndfile reads: wav, flac, ogg, aiff, ...).

    Returns:
        (wave, sample_rate): float32 `[C, N]` in [-1, 1] (channels first) and the rate in Hz.

    Raises:
        InvalidAudioError: the file is missing, unreadable, not audio, or holds no samples.
        ResourceError: decoding it would not fit in the available memory.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidAudioError(f"input file not found: {path}")
    try:
        info = sf.info(str(path))
        check_memory(audio_bytes(info.frames, info.channels, info.samplerate), f"reading {path.name}")
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as err:
        raise InvalidAudioError(f"cannot read {path} as audio: {err}") from err
    if data.shape[0] == 0:
        raise InvalidAudioError(f"{path} holds no audio samples")
    if not np.isfinite(data).all():
        raise InvalidAudioError(f"{path} has NaN or Inf samples")
    return np.ascontiguousarray(data.T), int(rate)


def write_audio(path, wave: np.ndarray, sample_rate: int, *, force: bool = False, source=None) -> Path:
    """Writes `wave` atomically to `path`.

    Args:
        path: output file; its suffix picks the format (.wav, .flac, .ogg).
        wave: float32 `[N]` (mono) or `[C, N]`.
        sample_rate: Hz.
        force: overwrite an existing file.
        source: the input file, if any; writing over it is always refused.

    Returns:
        The resolved output path.

    Raises:
        OutputExistsError: `path` exists and `force` is false.
        OutputPathError: `path` is the input file, or its folder does not exist.
        InvalidAudioError: unknown format, or NaN/Inf samples.

    A format with integer samples (FLAC, 24-bit) clips samples beyond [-1, 1]; how many is said in
    one line on stderr.
    """
    path = check_output(path, force=force, source=source)
    fmt = output_format(path)
    frames = np.asarray(wave, dtype=np.float32)
    frames = frames[:, None] if frames.ndim == 1 else frames.T
    low, high = (float(frames.min()), float(frames.max())) if frames.size else (0.0, 0.0)
    if not (np.isfinite(low) and np.isfinite(high)):  # NaN propagates through min/max
        raise InvalidAudioError(f"refusing to write {path.name}: the audio holds NaN or Inf samples")
    if WRITE_SUBTYPES[fmt].startswith("PCM") and (low < -1.0 or high > 1.0):  # integer samples: clipped
        clipped = int(np.count_nonzero(frames > 1.0) + np.count_nonzero(frames < -1.0))
        if clipped:
            print(
                f"warning: {clipped} of {frames.size} samples are beyond [-1, 1] and were clipped in "
                f"{path.name} ({fmt} holds {WRITE_SUBTYPES[fmt]}); write a .wav (float) to keep them",
                file=sys.stderr,
            )
            frames = np.clip(frames, -1.0, 1.0)
    return atomic_write(
        path,
        lambda tmp: sf.write(tmp, frames, sample_rate, format=fmt, subtype=WRITE_SUBTYPES[fmt]),
        force=force,
        source=source,
    )


def output_format(path) -> str:
    """The format `write_audio` would write `path` in ("WAV", "FLAC", "OGG"); raises `InvalidAudioError`
    for any other name (the CLI checks this before the slow steps)."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").upper()
    if fmt not in WRITE_SUBTYPES:
        raise InvalidAudioError(
            f"cannot tell the output format from {path.name!r}; use a .wav, .flac or .ogg name"
        )
    return fmt
