"""The latent's rate ladder: uniform scalar quantisation per channel, range-coded with an explicit model.

A latent `[1, C, R, F]` is coded channel by channel (each channel's R x F values in C order):

    step_c   = std_c * k(bits),  k(bits) = sqrt(2 pi e) * 2^-bits
    symbol   = clip(rint((x - mean_c) / step_c), -limit_c, limit_c)      (int, |symbol| <= limit_c)
    x_hat    = mean_c + symbol * step_c                                   (float32 arithmetic)

`mean_c` and `std_c` are the channel's own (over its R x F values, float32). k(bits) is the step at
which a Gaussian channel's quantised entropy is `bits` bits per value at high rate (h = log2(sqrt(2
pi e) std)); on the reference VAE's latents of the 12 golden clips the range-coded payload is
`bits` +- 0.3 bits per coded value for every clip from 1 to 12 (1.14, 2.06, 3.00, 3.97, 5.97, 7.97,
9.97, 11.96 on average for 1, 2, 3, 4, 6, 8, 10, 12).

A channel whose spread is at most `DROP_RATIO` times the largest channel's is *dropped*: only its
mean travels. The reference VAE has three such channels (0, 2, 3: std 0.04 to 0.18 against 0.4 to
1.6), and its decoder all but ignores them: setting them to their means moves the decoded log-mel
by 0.002 (mean absolute), against 0.07 for the quantisation at 4 bits. A channel whose symbols
are all 0 (`limit` 0) costs no coded bits either.

Each coded channel's symbols are range-coded (`constriction.stream.queue.RangeEncoder`) under a
discrete Laplace model over its declared support: P(s) proportional to theta_c^|s| for |s| <=
limit_c, theta_c fitted by maximum likelihood (E|s| = 2 theta / (1 - theta^2)); constriction's
`Categorical(perfect=False)` turns it into fixed-point probabilities, giving every symbol of the
support a nonzero one. The model is computed with float64 multiplications only (no exp/log), so
encoder and decoder build bit-identical tables. The parameters (`ChannelModel`, `TABLE_ENTRY`
bytes per channel) travel in the container's header; everything read back is validated here.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np

from .errors import ContainerError

BITS_RANGE = (1.0, 12.0)
"""Accepted `bits`: about 3 to 25 kbit/s on the reference VAE's latents."""
DROP_RATIO = 0.25
"""A channel with std_c <= DROP_RATIO * max_c std_c is dropped (sent as its mean only)."""
MAX_LIMIT = 32767
"""The largest declared support |symbol| <= limit; symbols beyond a channel's limit are clipped."""
TABLE_ENTRY = struct.Struct("<BfffH")
"""Per channel: coded (uint8: 0 mean only, 1 range-coded), mean, step, theta (float32), limit (uint16)."""
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_DECODE_ERRORS = (AssertionError, ValueError, KeyError, RuntimeError, OverflowError, TypeError)
"""What constriction raises on data that is not a stream of the declared model."""


def step_factor(bits: float) -> float:
    """k(bits) = sqrt(2 pi e) * 2^-bits: the step in units of the channel's std for `bits` bits a value."""
    return math.sqrt(2 * math.pi * math.e) * 2.0**-bits


def check_bits(bits) -> float:
    """`bits` as a float in `BITS_RANGE`, or `ContainerError` saying what is accepted."""
    try:
        value = float(bits)
    except (TypeError, ValueError):
        value = math.nan
    if not BITS_RANGE[0] <= value <= BITS_RANGE[1]:  # NaN fails too
        raise ContainerError(
            f"bits must be a number from {BITS_RANGE[0]:g} to {BITS_RANGE[1]:g} (bits per coded latent "
            f"value); got {bits!r}"
        )
    return value


@dataclass(frozen=True)
class ChannelModel:
    """One channel's quantiser and entropy model, as stored in the file (float32 values).

    Attributes:
        coded: False for a dropped channel (every value is `mean`; the other fields are 0).
        mean: the channel's offset, float32.
        step: quantiser step, float32 > 0 when coded.
        theta: discrete Laplace decay in [0, 1).
        limit: declared support |symbol| <= limit (0 to `MAX_LIMIT`; 0 codes nothing).
    """

    coded: bool
    mean: float
    step: float = 0.0
    theta: float = 0.0
    limit: int = 0

    def probabilities(self) -> np.ndarray:
        """float64 `[2 limit + 1]`: theta^|s| for s = -limit..limit (unnormalised, repeated products)."""
        powers = np.cumprod(np.full(self.limit, self.theta, np.float64))  # products in order: the
        half = np.concatenate([[1.0], powers])  # same table on every machine (no exp, no summation)
        return np.concatenate([half[:0:-1], half])


def _f32(x: float) -> float:
    return float(np.float32(x))


def fit_channels(latent: np.ndarray, bits: float, drop_ratio: float = DROP_RATIO) -> tuple[ChannelModel, ...]:
    """The per-channel models of a float32 latent `[1, C, R, F]` at `bits` (see the module docstring)."""
    k = step_factor(check_bits(bits))
    x = np.asarray(latent, np.float32)
    stds = x.std(axis=(0, 2, 3)) if x.size else np.zeros(x.shape[1], np.float32)
    top = float(stds.max(initial=0.0))
    models = []
    for c in range(x.shape[1]):
        mean = _f32(x[:, c].mean()) if x.size else 0.0
        if not float(stds[c]) > drop_ratio * top:
            models.append(ChannelModel(False, mean))
            continue
        step = _f32(float(stds[c]) * k)
        if not 0 < step <= _FLOAT32_MAX:  # a subnormal spread: nothing to code
            models.append(ChannelModel(False, mean))
            continue
        raw = np.rint((x[:, c].astype(np.float32) - np.float32(mean)) / np.float32(step))
        limit = int(min(np.abs(raw).max(initial=0.0), MAX_LIMIT))
        spread = float(np.abs(np.clip(raw, -limit, limit)).mean()) if raw.size else 0.0
        theta = (math.sqrt(1 + spread * spread) - 1) / spread if spread > 0 else 0.0
        models.append(ChannelModel(True, mean, step, _f32(theta), limit))
    return tuple(models)


def to_symbols(latent: np.ndarray, models: tuple[ChannelModel, ...]) -> np.ndarray:
    """int32 symbols `[C, R * F]` of a latent `[1, C, R, F]`, clipped to each channel's support
    (0 for dropped channels)."""
    x = np.asarray(latent, np.float32)
    out = np.zeros((x.shape[1], x[0, 0].size), np.int32)
    for c, m in enumerate(models):
        if m.coded:
            q = np.rint((x[0, c].ravel() - np.float32(m.mean)) / np.float32(m.step))
            out[c] = np.clip(q, -m.limit, m.limit)
    return out


def from_symbols(symbols: np.ndarray, models: tuple[ChannelModel, ...], shape: tuple[int, ...]) -> np.ndarray:
    """float32 latent `shape` ([1, C, R, F]) from symbols `[C, R * F]`: mean_c + s * step_c."""
    out = np.empty(shape, np.float32)
    for c, m in enumerate(models):
        values = np.float32(m.mean) + symbols[c].astype(np.float32) * np.float32(m.step)
        out[0, c] = values.reshape(shape[2:]) if m.coded else np.float32(m.mean)
    return out


def _categorical(m: ChannelModel):
    import constriction  # its submodules are attributes, not importable modules

    return constriction.stream.model.Categorical(m.probabilities(), perfect=False)


def range_encode(symbols: np.ndarray, models: tuple[ChannelModel, ...]) -> bytes:
    """The range coder's words (uint32, little-endian) for symbols `[C, N]`, each channel's within its
    declared support (`to_symbols` clips them there); a symbol outside it is refused, never coded."""
    import constriction

    encoder = constriction.stream.queue.RangeEncoder()
    for c, m in enumerate(models):
        outside = np.abs(symbols[c]).max(initial=0) > (m.limit if m.coded else 0)
        if outside:
            raise ContainerError(
                f"latent channel {c} has symbols outside its declared support |s| <= "
                f"{m.limit if m.coded else 0}; clip them first (to_symbols)"
            )
        if m.coded and m.limit > 0:
            encoder.encode(np.ascontiguousarray(symbols[c] + m.limit, np.int32), _categorical(m))
    return encoder.get_compressed().astype("<u4").tobytes()


def range_decode(data: bytes, models: tuple[ChannelModel, ...], count: int) -> np.ndarray:
    """int32 symbols `[C, count]` from `range_encode`'s bytes; refuses (`ContainerError`) a payload
    that is not exactly the encoder's output for what it decodes to (damage, trailing data)."""
    import constriction

    if len(data) % 4:
        raise ContainerError(f"the range-coded payload is {len(data)} bytes, not whole 32-bit words")
    out = np.zeros((len(models), count), np.int32)
    try:
        decoder = constriction.stream.queue.RangeDecoder(np.frombuffer(data, "<u4").astype(np.uint32))
        for c, m in enumerate(models):
            if m.coded and m.limit > 0:
                out[c] = decoder.decode(_categorical(m), count) - m.limit
    except _DECODE_ERRORS as err:
        raise ContainerError(f"the range-coded payload does not decode ({err}): the file is damaged") from err
    if range_encode(out, models) != bytes(data):
        raise ContainerError("the range-coded payload does not end where its symbols do: the file is damaged")
    return out


def pack_table(models: tuple[ChannelModel, ...]) -> bytes:
    """`TABLE_ENTRY.size` bytes per channel."""
    return b"".join(TABLE_ENTRY.pack(m.coded, m.mean, m.step, m.theta, m.limit) for m in models)


def unpack_table(data: bytes, channels: int) -> tuple[ChannelModel, ...]:
    """The models of `channels` channels from untrusted bytes; `ContainerError` for anything a
    writer cannot have produced (NaN, a non-positive step, theta outside [0, 1), a limit beyond
    `MAX_LIMIT`, a dropped channel with parameters, values beyond float32's range)."""
    if len(data) != channels * TABLE_ENTRY.size:
        raise ContainerError(
            f"the channel table is {len(data)} bytes; {channels} channels need {channels * TABLE_ENTRY.size}"
        )
    models = []
    for c in range(channels):
        coded, mean, step, theta, limit = TABLE_ENTRY.unpack_from(data, c * TABLE_ENTRY.size)
        ok = coded in (0, 1) and math.isfinite(mean)
        if coded == 1:
            ok = ok and 0 < step <= _FLOAT32_MAX and 0 <= theta < 1 and limit <= MAX_LIMIT  # NaN fails
            ok = ok and abs(mean) + limit * step <= _FLOAT32_MAX
        elif coded == 0:
            ok = ok and step == 0 and theta == 0 and limit == 0
        if not ok:
            raise ContainerError(
                f"impossible model for latent channel {c} (coded {coded}, mean {mean}, step {step}, "
                f"theta {theta}, limit {limit}): the file is damaged or crafted"
            )
        models.append(ChannelModel(bool(coded), mean, step, theta, limit))
    return tuple(models)
