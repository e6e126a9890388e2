"""Issue 27's hangs, silences and quiet wrong answers: a bad --jobs or a missing scheduler file is
refused at once (never a silent hang), a run without a terminal prints plain progress lines, `run`
picks the model by the scorecard's rule and says which in its first line, a --delay beyond the clip
is skipped in both directions, a DC-only reference is skipped like a silent one, and the codec CLI
checks its output name and rate before anything slow."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import GOLDEN

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = GOLDEN / "examples"
SPEECH = EXAMPLES / "speech_male_arctic_a0007.flac"
QUICK = 60
"""A refusal must come within this many seconds (a hang would never end)."""
FAST = ["--metric", "snr_raw", "--metric", "log_mel_l1", "--no-audio", "--no-report"]


def _cli(module: str, args: list[str], tmp_path: Path, timeout: float = QUICK, **env):
    environ = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_CACHE": str(tmp_path / "empty-hub-cache"),  # no real weights: the fallback is tested
        **env,
    }
    try:
        return subprocess.run(
            [sys.executable, "-m", module, *args],
            cwd=ROOT,
            env=environ,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`python -m {module} {' '.join(args)}` did not end in {timeout} s (a hang)")


@pytest.mark.parametrize("jobs", ["-1", "-2", "0"])
def test_a_jobs_count_below_one_is_refused_at_argument_parsing(tmp_path, jobs):
    out = tmp_path / "run"
    done = _cli(
        "evals",
        ["run", str(EXAMPLES), "-m", "griffinlim", "-o", str(out), "--engine", "local", "--jobs", jobs],
        tmp_path,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "--jobs" in done.stderr and "at least 1" in done.stderr
    assert not out.exists()


def test_a_missing_scheduler_file_is_refused_before_connecting(tmp_path):
    out, missing = tmp_path / "run", tmp_path / "no-such-scheduler.json"
    done = _cli(
        "evals",
        ["run", str(EXAMPLES), "-m", "griffinlim", "-o", str(out), "--scheduler-file", str(missing)],
        tmp_path,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "--scheduler-file" in done.stderr and "does not exist" in done.stderr
    assert not out.exists(), "refused before the run folder is made"


def test_an_unreadable_scheduler_file_is_refused(tmp_path):
    from evals.running.engine import EngineError, scheduler_address

    bad = tmp_path / "scheduler.json"
    bad.write_text("{not json")
    with pytest.raises(EngineError, match="cannot read a scheduler address"):
        scheduler_address(str(bad))
    bad.write_text(json.dumps({"type": "Scheduler"}))
    with pytest.raises(EngineError, match="cannot read a scheduler address"):
        scheduler_address(str(bad))


def test_a_scheduler_that_does_not_answer_fails_within_the_connect_timeout(tmp_path, monkeypatch):
    import socket

    from evals.running import engine

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    file = tmp_path / "scheduler.json"
    file.write_text(json.dumps({"address": f"tcp://127.0.0.1:{port}"}))
    monkeypatch.setattr(engine, "CONNECT_TIMEOUT_S", 2)
    start = time.monotonic()
    with pytest.raises(engine.EngineError, match="no Dask scheduler answered"):
        with engine.open_client("address", scheduler_file=str(file)):
            pass
    assert time.monotonic() - start < QUICK


def test_plain_progress_lines_every_so_many_records_and_at_the_end():
    from evals.running.driver import PLAIN_EVERY_RECORDS, progress_bar

    stream = io.StringIO()  # not a terminal
    bar = progress_bar(2 * PLAIN_EVERY_RECORDS + 3, True, stream)
    for i in range(2 * PLAIN_EVERY_RECORDS + 3):
        bar.update(error=i == 0)
    bar.close()
    lines = stream.getvalue().splitlines()
    total = 2 * PLAIN_EVERY_RECORDS + 3
    assert [line.split(" clip-methods")[0] for line in lines] == [
        f"evals: {PLAIN_EVERY_RECORDS}/{total}",
        f"evals: {2 * PLAIN_EVERY_RECORDS}/{total}",
        f"evals: {total}/{total}",
    ]
    assert all(", 1 error, " in line and line.endswith(" s") for line in lines)


def test_plain_progress_line_every_so_many_seconds_even_without_records(monkeypatch):
    from evals.running import driver

    monkeypatch.setattr(driver, "PLAIN_EVERY_SECONDS", 0.2)
    stream = io.StringIO()
    bar = driver.progress_bar(5, True, stream)
    time.sleep(1.6)  # the heartbeat looks every second
    bar.close()
    assert stream.getvalue().startswith("evals: 0/5 clip-methods done, 0 errors, ")


def test_no_progress_silences_the_plain_lines():
    from evals.running.driver import progress_bar

    stream = io.StringIO()
    bar = progress_bar(3, False, stream)
    for _ in range(3):
        bar.update()
    bar.close()
    assert stream.getvalue() == ""


def test_a_run_without_a_terminal_prints_progress_and_no_empty_figures_table(tmp_path):
    """stderr is a pipe here: plain progress lines appear; griffinlim has no reported figures, so the
    reports' figures table is not printed at all; no model line (no method needs weights)."""
    done = _cli(
        "evals",
        ["run", str(EXAMPLES), "-m", "griffinlim", "-o", str(tmp_path / "run"), *FAST],
        tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "evals: 2/2 clip-methods done, 0 errors, " in done.stderr
    assert "The reports' figures" not in done.stdout
    assert "model:" not in done.stderr


def test_run_without_weights_uses_the_best_model_found_and_says_so_first(tmp_path):
    """No --weights and no real weights in the (empty) hub cache: the embedded reference models, as
    the scorecard does, named in the first line on stderr; the VAE method runs."""
    out = tmp_path / "run"
    done = _cli(
        "evals", ["run", str(SPEECH), "-m", "vae+griffinlim", "-o", str(out), *FAST], tmp_path, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    first = done.stderr.splitlines()[0]
    assert first.startswith("model: the embedded reference models in golden/reference"), done.stderr[:2000]
    assert "NOT AudioLDM2's weights" in first
    summary = json.loads((out / "summary.json").read_text())
    assert summary["methods"]["vae+griffinlim"]["status"] == "ran"


@pytest.mark.parametrize("sign", [1, -1])
def test_a_delay_beyond_the_clip_is_skipped_in_both_directions(sign):
    from evals.running.scoring import score_pair

    rng = np.random.default_rng(0)
    reference = rng.standard_normal(16000).astype(np.float32) * 0.1
    scores = score_pair(reference.copy(), reference, sign * (len(reference) + 100), names=("snr",))
    result = scores.metrics["snr"]
    assert result.status == "skipped", result
    assert "no overlap" in result.reason


def test_a_dc_only_reference_is_skipped_like_a_silent_one():
    from evals.metrics import all_metrics
    from evals.result import evaluate, precondition

    dc = np.full(16000 * 3, 0.25)
    checked = [m for m in all_metrics().values() if m.needs_reference_signal]
    assert {"pesq_wb", "stoi"} <= {m.name for m in checked}
    for metric in checked:
        failed = precondition(metric, dc.copy(), dc)
        assert failed is not None and failed.status == "skipped", metric.name
        assert "no AC content" in failed.reason
    stoi = all_metrics()["stoi"]
    assert evaluate(stoi, dc.copy(), dc).status == "skipped"


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["-o", "OUT.mp3"], "cannot tell the output format"),
        (["-o", "OUT.wav", "--output-rate", "7"], "--output-rate"),
        (["-o", "OUT.wav", "--output-rate", "abc"], "--output-rate"),
    ],
)
def test_codec_reconstruct_checks_output_name_and_rate_before_loading_models(tmp_path, extra, said):
    """--weights names nothing: were the model loaded first, the error would be about the weights."""
    args = [a.replace("OUT", str(tmp_path / "out")) for a in extra]
    done = _cli(
        "codec", ["reconstruct", str(SPEECH), *args, "--weights", str(tmp_path / "no-weights")], tmp_path
    )
    assert done.returncode != 0
    assert said in done.stderr, done.stderr[-2000:]
    assert "weights" not in done.stderr.replace("--weights", "")
