"""Exceptions the codec raises for problems a user can fix.

All derive from `CodecError`, so the CLI can print them as one line without a traceback, and
each also derives from the built-in type a caller would expect (`ValueError`, `FileNotFoundError`,
`FileExistsError`).
"""


class CodecError(Exception):
    """Base class: a problem with the input, the weights or the output path, not a bug."""


class InvalidAudioError(CodecError, ValueError):
    """The waveform or audio file cannot be used (empty, NaN/Inf, wrong shape, unreadable)."""


class LayoutError(CodecError, ValueError):
    """A tensor is not in the layout the codec expects (e.g. [B, 1, 64, T] instead of [B, T, 64])."""


class WeightsNotFoundError(CodecError, FileNotFoundError):
    """The VAE / vocoder weights were found neither in a local folder nor in the hub cache."""


class IncompatibleModelError(CodecError, ValueError):
    """Weights were found, but their config does not match AudioLDM2's interface."""


class OutputExistsError(CodecError, FileExistsError):
    """The output file exists and `force` was not given."""


class ContainerError(CodecError, ValueError):
    """An `.al2c` file is damaged, truncated, of another version, or not a container at all."""


class ModelMismatchError(CodecError, ValueError):
    """A container is decoded with a model other than the one that encoded it."""


class OutputPathError(CodecError, ValueError):
    """The output path cannot be used: it is the input file, or its folder does not exist."""


class ResourceError(CodecError, MemoryError):
    """The request would not fit in the memory available (checked before the work starts)."""
