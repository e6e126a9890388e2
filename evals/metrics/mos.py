"""Learned MOS predictors that codec papers report: ViSQOL v3 and DNSMOS P.835. Both run offline.

ViSQOL (`visqol-python`, a port of Google's C++ ViSQOL 3.3; `_visqol` builds its API once per
mode) turns its NSIM similarity into MOS-LQO (1-5) with a mapper that depends on the mode:

visqol_speech: speech mode on the 16 kHz pair with the **exponential** mapper (C++
`--use_lattice_model=false`, `SpeechSimilarityToQualityMapper`: an exponential fit since
conformance v310, refitted in v333), scaled so that identical input gives 5.0. Intrusive (needs
the reference); it aligns the pair itself. This is the headline ViSQOL column.

visqol_speech_lattice: the same speech mode with the **lattice** mapper (a TFLite deep-lattice
model; C++ `--use_lattice_model`, true by default in v3.3). It needs `ai-edge-litert`, the extra
`visqol-python[lattice]`; without it the metric is skipped with `LATTICE_SKIP_REASON`, never
replaced by the exponential figure. Identical input gives about 4.5, not 5.0. On ViSQOL's
CA01_01 pair resampled to 16 kHz it scores 0.08 below the exponential mapper (3.301 against 3.381).

visqol_audio_16k: audio mode (ViSQOL's SVR mapper, the only one audio mode has), which is defined
at 48 kHz. The 16 kHz pair is resampled to 48 kHz (soxr) first, so nothing above 8 kHz exists in
either signal: the name says so, and the values are not comparable with audio-mode figures on
full-band 48 kHz material.

Conformance: `tests/test_visqol_conformance.py` runs the APIs `_visqol` builds on ViSQOL's own
files (48 kHz, as in the C++ tests, which score speech mode at 48 kHz too) and compares them with
the C++ v3.3.3 values (`src/include/conformance.h`, conformance number 333) within 0.005 MOS:
exponential speech on CA01_01 3.3745 (3.3756 here); lattice speech on CA01_01 3.3129 (3.3153 here,
where `ai-edge-litert` is installed); audio mode on the TCDAudio14 castanets identity 4.7321 and
steely low-passed at 7 kHz 2.2502 (both equal to 1e-13), and on CA01_01 1.7658 (1.7690 here).

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
from evals.result import MetricSkipped

VISQOL_MIN_SECONDS = 0.5
"""Shorter pairs leave ViSQOL too few patches to compare (skipped with the reason)."""


VISQOL_MODES = ("speech", "speech_lattice", "audio")
"""`_visqol`'s modes: speech with the exponential mapper, speech with the lattice mapper, audio (SVR)."""

LATTICE_SKIP_REASON = "needs visqol-python[lattice] (pip install 'audioldm2-codec-harness[lattice]')"
"""Why `visqol_speech_lattice` is skipped where the TFLite runtime (`ai_edge_litert`) is missing."""


@functools.lru_cache(maxsize=len(VISQOL_MODES))
def _visqol(mode: str):
    """The ViSQOL API for `mode` (one of `VISQOL_MODES`), built once per process.

    The mapper is always named explicitly: visqol-python's default (`use_lattice_model=None`)
    picks the lattice mapper when `ai_edge_litert` happens to be importable and the exponential one
    otherwise, which would make `visqol_speech` depend on what else is installed.
    """
    import logging

    from visqol.api import VisqolApi

    logging.getLogger("visqol").setLevel(logging.ERROR)
    api = VisqolApi()
    if mode == "speech":
        api.create(mode="speech", use_lattice_model=False)
    elif mode == "speech_lattice":
        api.create(mode="speech", use_lattice_model=True)
    elif mode == "audio":
        api.create(mode="audio")
    else:
        raise ValueError(f"unknown ViSQOL mode {mode!r}; expected one of {VISQOL_MODES}")
    return api


@functools.lru_cache(maxsize=1)
def lattice_runtime_missing() -> str:
    """Why the lattice mapper cannot run here ("" when `ai_edge_litert`'s interpreter imports)."""
    try:
        import ai_edge_litert.interpreter  # noqa: F401  (what visqol-python's lattice mapper loads)
    except ImportError as err:
        return f"{LATTICE_SKIP_REASON}: {err}"
    return ""


VISQOL_SPEECH_METRIC = dict(
    higher_is_better=True,
    unit="MOS-LQO",
    valid_range=(1.0, 5.0),
    tolerance=0.05,
    min_seconds=VISQOL_MIN_SECONDS,
    needs_estimate_signal=True,
    expensive=True,
)
"""The registry settings both speech-mode ViSQOL metrics share (they differ in the MOS mapper only)."""


@metric("visqol_speech", **VISQOL_SPEECH_METRIC, headline=3, label="ViSQOL")
def visqol_speech(estimate: np.ndarray, reference: np.ndarray) -> float:
    """ViSQOL v3 speech mode at 16 kHz (visqol-python, exponential mapper, scaled): MOS-LQO 1..5."""
    return float(_visqol("speech").measure_from_arrays(reference, estimate, SAMPLE_RATE).moslqo)


@metric("visqol_speech_lattice", **VISQOL_SPEECH_METRIC, label="ViSQOL (lattice)")
def visqol_speech_lattice(estimate: np.ndarray, reference: np.ndarray) -> float:
    """ViSQOL v3 speech mode at 16 kHz with the lattice mapper (the C++ v3.3 default): MOS-LQO 1..5.

    Needs `ai-edge-litert` (`visqol-python[lattice]`); without it the metric is skipped with
    `LATTICE_SKIP_REASON`. Identical input scores about 4.5, not 5.0.
    """
    missing = lattice_runtime_missing()
    if missing:
        raise MetricSkipped(missing)
    return float(_visqol("speech_lattice").measure_from_arrays(reference, estimate, SAMPLE_RATE).moslqo)


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
    """ViSQOL v3 audio mode on the 16 kHz pair resampled to 48 kHz (nothing above 8 kHz): MOS-LQO 1..5.

    Audio mode has one mapper: ViSQOL's SVR model, shipped with visqol-python.
    """
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
