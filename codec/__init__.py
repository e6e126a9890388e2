"""AudioLDM2's VAE as an audio codec.

    import codec
    c = codec.Codec.from_pretrained("cvssp/audioldm2-music", vocoder="hifigan")
    wave16k = c.reconstruct(wave, sample_rate)          # [N] or [C, N] in, [N16] out
    mel = codec.log_mel(prepared_wave)                   # [B, N] -> [B, N // 160 + 1, 64]

Names are imported lazily (PEP 562), so `python -m codec --help` does not pay for torch.
"""

from importlib import import_module

_EXPORTS = {
    "log_mel": "frontend",
    "prepare_waveform": "frontend",
    "restore_gain": "frontend",
    "num_frames": "frontend",
    "padded_length": "frontend",
    "Codec": "pipeline",
    "EncodedAudio": "pipeline",
    "VAE": "vae",
    "HifiGanVocoder": "vocoders",
    "GriffinLimVocoder": "vocoders",
    "Vocoder": "vocoders",
    "to_mono_16k": "audio",
    "read_audio": "audio_files",
    "write_audio": "audio_files",
    "CodecError": "errors",
    "InvalidAudioError": "errors",
    "LayoutError": "errors",
    "WeightsNotFoundError": "errors",
    "IncompatibleModelError": "errors",
    "OutputExistsError": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'codec' has no attribute {name!r}")


def __dir__():
    return __all__
