"""Learned MOS predictors that codec papers report: ViSQOL v3 and DNSMOS P.835. Both run offline.

visqol_speech: ViSQOL v3 (`visqol-python`, a port of Google's C++ ViSQOL 3.3) in speech mode at
16 kHz, with the polynomial MOS mapper (C++ `--use_lattice_model=false`); the lattice mapper
needs a TFLite runtime (`visqol-python[lattice]`) and is not used. Range 1-5; identical input
gives 5.0. Intrusive (needs the reference); it aligns the pair itself.

visqol_audio_16k: ViSQOL v3 audio mode, which is defined at 48 kHz. The 16 kHz pair is resampled
to 48 kHz (soxr) first, so nothing above 8 kHz exists in either signal: the name says so, and the
values are not comparable with audio-mode figures on full-band 48 kHz material.

dnsmos_sig / dnsmos_bak / dnsmos_ovrl: DNSMOS P.835 (`speechmos`, whose ONNX models ship in the
wheel; onnxruntime, one thread): signal, background and overall quality, 1-5, of the *estimate*
alone (non-intrusive; the reference is not used). Clips under 1 s are skipped. As speechmos does,
a clip under 9.01 s is doubled until it is that long and a 9.01 s window starts every second;
windows that are the same samples (a doubled clip repeats) are run once, which gives speechmos's
values exactly (tested) at a third of the cost for 2 s clips. Samples beyond [-1, 1] are clipped
first (as a 16-bit file would). The three come from one pass, cached per estimate.
"""

from __future__ import annotations

import functools
import hashlib
import os

import numpy as np

from evals.registry import SAMPLE_RATE, metric

VISQOL_MIN_SECONDS = 0.5
"""Shorter pairs leave ViSQOL too few patches to compare (skipped with the reason)."""


@functools.lru_cache(maxsize=2)
def _visqol(mode: str):
    import logging

    from visqol.api import VisqolApi

    logging.getLogger("visqol").setLevel(logging.ERROR)
    api = VisqolApi()
    if mode == "speech":
        api.create(mode="speech", use_lattice_model=False)
    else:
        api.create(mode="audio")
    return api


@metric(
    "visqol_speech",
    higher_is_better=True,
    unit="MOS-LQO",
    valid_range=(1.0, 5.0),
    tolerance=0.05,
    min_seconds=VISQOL_MIN_SECONDS,
    needs_estimate_signal=True,
    expensive=True,
    headline=3,
    label="ViSQOL",
)
def visqol_speech(estimate: np.ndarray, reference: np.ndarray) -> float:
    """ViSQOL v3 speech mode at 16 kHz (visqol-python, polynomial mapper): MOS-LQO 1..5."""
    return float(_visqol("speech").measure_from_arrays(reference, estimate, SAMPLE_RATE).moslqo)


@metric(
    "visqol_audio_16k",
    higher_is_better=True,
    unit="MOS-LQO",
    valid_range=(1.0, 5.0),
    tolerance=0.05,
    min_seconds=VISQOL_MIN_SECONDS,
    needs_estimate_signal=True,
    expensive=True,
)
def visqol_audio_16k(estimate: np.ndarray, reference: np.ndarray) -> float:
    """ViSQOL v3 audio mode on the 16 kHz pair resampled to 48 kHz (nothing above 8 kHz): MOS-LQO 1..5."""
    import soxr

    def up(x):
        return soxr.resample(x, SAMPLE_RATE, 48_000)

    return float(_visqol("audio").measure_from_arrays(up(reference), up(estimate), 48_000).moslqo)


@functools.lru_cache(maxsize=1)
def _dnsmos_model():
    import onnxruntime as ort
    from speechmos import dnsmos

    folder = os.path.join(os.path.dirname(dnsmos.__file__), "dnsmos_models")
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1  # metrics run one per process
    session = functools.partial(
        ort.InferenceSession, sess_options=options, providers=["CPUExecutionProvider"]
    )
    model = dnsmos.DNSMOS.__new__(dnsmos.DNSMOS)  # its __init__ would open sessions on every core
    model.primary_model_path = os.path.join(folder, "sig_bak_ovr.onnx")
    model.onnx_sess = session(model.primary_model_path)
    model.p808_onnx_sess = session(os.path.join(folder, "model_v8.onnx"))
    return model


DNSMOS_WINDOW_SECONDS = 9.01
"""speechmos's INPUT_LENGTH: the model sees 9.01 s windows, one per second of (tiled) input."""


def _dnsmos_windows(wave: np.ndarray):
    """speechmos `DNSMOS.__call__`'s windows, each with a key that is equal for equal windows.

    As speechmos does: a clip under 9.01 s is doubled until it is long enough, and a window starts
    every second. A doubled clip is periodic, so windows whose starts differ by a multiple of the
    clip's length are the same samples: the key says so, and each distinct window is run once.
    """
    need = int(DNSMOS_WINDOW_SECONDS * SAMPLE_RATE)
    audio = wave
    while len(audio) < need:
        audio = np.append(audio, audio)
    period = len(wave) if len(audio) > len(wave) else None
    for idx in range(int(np.floor(len(audio) / SAMPLE_RATE) - DNSMOS_WINDOW_SECONDS) + 1):
        start, end = int(idx * SAMPLE_RATE), int((idx + DNSMOS_WINDOW_SECONDS) * SAMPLE_RATE)
        if len(audio[start:end]) < need:
            continue
        yield ((start % period) if period else start, end - start), audio[start:end]


@functools.lru_cache(maxsize=4)
def _dnsmos_cached(digest: str, data: bytes) -> tuple[float, float, float]:
    """speechmos's SIG, BAK, OVRL (non-personalised polynomial fit), means over its windows."""
    model = _dnsmos_model()
    wave = np.clip(np.frombuffer(data, dtype=np.float64), -1.0, 1.0)
    seen: dict[tuple[int, int], tuple[float, float, float]] = {}
    scores = []
    for key, window in _dnsmos_windows(wave):
        if key not in seen:
            raw = model.onnx_sess.run(None, {"input_1": window.astype("float32")[np.newaxis, :]})[0][0]
            seen[key] = model.get_polyfit_val(*raw, False)
        scores.append(seen[key])
    sig, bak, ovrl = (float(np.mean([s[i] for s in scores])) for i in range(3))
    return sig, bak, ovrl


def dnsmos(estimate: np.ndarray) -> tuple[float, float, float]:
    """(SIG, BAK, OVRL) of `estimate` `[N]` at 16 kHz; one model call per distinct estimate."""
    data = np.ascontiguousarray(estimate, dtype=np.float64).tobytes()
    return _dnsmos_cached(hashlib.sha1(data).hexdigest(), data)


def _register_dnsmos(index: int, part: str, what: str) -> None:
    def score(estimate, reference):
        return dnsmos(estimate)[index]

    score.__doc__ = f"DNSMOS P.835 {what} ({part.upper()}) of the estimate alone (speechmos ONNX): 1..5."
    metric(
        f"dnsmos_{part}",
        higher_is_better=True,
        unit="MOS",
        valid_range=(1.0, 5.0),
        tolerance=0.1,
        min_seconds=1.0,
        needs_reference_signal=False,
        needs_estimate_signal=True,
        expensive=True,
        headline=4 if part == "ovrl" else 0,
        label="DNSMOS" if part == "ovrl" else "",
    )(score)


for _i, (_part, _what) in enumerate(
    [("sig", "signal quality"), ("bak", "background quality"), ("ovrl", "overall quality")]
):
    _register_dnsmos(_i, _part, _what)
