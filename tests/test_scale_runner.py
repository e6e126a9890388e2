"""The Dask runner's promises, on real clusters on this machine: records survive a killed driver,
`--resume` finishes the run with exactly one ok record per key, a dying worker loses nothing, a
worker that always dies gives an error record (never a hang), and a cluster started separately
(`dask scheduler` + `dask worker`) is used by address. Every wait has a timeout, on progress: a run
fails when its run folder has not changed for `STALL_TIMEOUT` seconds (a hang), not when a busy
machine makes it slow (`HARD_TIMEOUT` is only a backstop)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evals.records import record_key
from evals.run_folder import clips_file
from evals.running.engine import MAX_DEATHS, choose_engine, gpu_resources
from tests.helpers import GOLDEN

ROOT = Path(__file__).resolve().parent.parent
CLIPS = GOLDEN / "clips"
EXAMPLES = GOLDEN / "examples"
SPEECH = EXAMPLES / "speech_male_arctic_a0007.flac"
FAST = ["--metric", "snr_raw", "--metric", "log_mel_l1", "--no-audio", "--no-report", "--no-progress"]
STALL_TIMEOUT = 180
"""Seconds a run may go without any change in its run folder (a record, run.json, a task's start in
.attempts/) before it counts as hung; the slowest step between two changes, a cluster's start with its
imports, took about 10 s on a quiet machine."""
HARD_TIMEOUT = 1800
"""A backstop only: a run that keeps changing its folder but never ends."""
KILLED_RUN_CLIPS = 6
"""Golden clips in the killed-driver run: the kill lands after 2 records, while 2 workers spend 1 s
on each of the others (the whole set of 12 took 42 s, mostly the resumed run's sleeps)."""


def _evals(args: list[str], fault_dir: Path, **popen) -> subprocess.Popen:
    env = {**os.environ, "EVALS_FAULT_DIR": str(fault_dir), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "evals", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def _state(folder: Path) -> object:
    """What changes when a run makes progress: every file under its run folder, with size and mtime."""
    try:
        return sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*"))
    except OSError:  # a file went away while listed: that is a change too
        return object()


class Watchdog:
    """Fails the test when `folder` has not changed for `stall` seconds, or after `hard` seconds."""

    def __init__(self, proc: subprocess.Popen, folder: Path, stall: float = STALL_TIMEOUT):
        self.proc, self.folder, self.stall = proc, folder, stall
        self.start = self.changed = time.monotonic()
        self.seen = _state(folder)

    def check(self) -> None:
        now, state = time.monotonic(), _state(self.folder)
        if state != self.seen:
            self.seen, self.changed = state, now
        why = None
        if now - self.changed > self.stall:
            why = f"no progress in {self.folder} for {self.stall:.0f} s (a hang)"
        elif now - self.start > HARD_TIMEOUT:
            why = f"still running after {HARD_TIMEOUT} s"
        if why:
            self.proc.kill()
            _, err = self.proc.communicate()
            pytest.fail(f"{why}: {self.proc.args}\n{(err or '')[-2000:]}")


def _finish(proc: subprocess.Popen, folder: Path, stall: float = STALL_TIMEOUT) -> str:
    """Waits for the run writing `folder`; fails on a stall (`Watchdog`), never on a slow machine."""
    watchdog = Watchdog(proc, folder, stall)
    while True:
        try:
            out, err = proc.communicate(timeout=2)  # retrying after a timeout loses no output
            break
        except subprocess.TimeoutExpired:
            watchdog.check()
    assert proc.returncode == 0, err[-3000:]
    return out


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_killed_driver_keeps_its_records_and_resume_finishes_with_one_ok_record_per_key(tmp_path):
    out, clips = tmp_path / "run", tmp_path / "in"
    clips.mkdir()
    for clip in sorted(CLIPS.glob("*.flac"))[:KILLED_RUN_CLIPS]:
        (clips / clip.name).write_bytes(clip.read_bytes())
    args = [
        "run",
        str(clips),
        "-m",
        "slow-copy",
        "--plugin",
        "tests.fault_methods",
        "-o",
        str(out),
        "--engine",
        "local",
        "--jobs",
        "2",
        *FAST,
    ]
    proc = _evals(args, tmp_path, start_new_session=True)
    watchdog = Watchdog(proc, out)
    while len(_lines(clips_file(out))) < 2:
        assert proc.poll() is None, (
            f"the run ended before it could be killed: {proc.communicate()[1][-2000:]}"
        )
        watchdog.check()
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)  # the driver only; its workers lose their scheduler
    proc.wait(timeout=30)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # then whatever it left behind
    except ProcessLookupError:
        pass
    before = _lines(clips_file(out))
    total = KILLED_RUN_CLIPS
    assert 2 <= len(before) < total, "the kill must land mid-run"
    with open(clips_file(out), "a") as torn:
        torn.write('{"clip": "torn by the kill", "path"')  # a write cut short
    resume = [a for a in args if a not in ("local", "--engine")]  # finished by the in-process engine
    _finish(_evals([*resume, "--resume", "--engine", "in-process"], tmp_path), out)
    after = _lines(clips_file(out))
    records = [json.loads(line) for line in after]
    keys = [record_key(r) for r in records]
    assert len(keys) == len(set(keys)) == total
    assert all(r["status"] == "ok" for r in records)
    assert after[: len(before)] == before, "records written before the kill are kept, not recomputed"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["methods"]["slow-copy"]["metrics"]["log_mel_l1"]["n_ok"] == total


@pytest.fixture(scope="module")
def fault_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    out = tmp / "run"
    (tmp / "in").mkdir()
    (tmp / "in" / SPEECH.name).write_bytes(SPEECH.read_bytes())  # one clip: each death restarts a worker
    args = [
        "run",
        str(tmp / "in"),
        "-m",
        "dies-once",
        "-m",
        "always-dies",
        "--plugin",
        "tests.fault_methods",
        "-o",
        str(out),
        "--engine",
        "local",
        "--jobs",
        "2",
        *FAST,
    ]
    _finish(_evals(args, tmp), out)
    return [json.loads(line) for line in _lines(clips_file(out))]


def test_a_worker_that_dies_mid_task_loses_nothing(fault_run):
    mine = [r for r in fault_run if r["method"] == "dies-once"]
    assert len(mine) == 1
    assert all(r["status"] == "ok" and r["metrics"]["log_mel_l1"]["status"] == "ok" for r in mine)


def test_a_worker_that_always_dies_gives_an_error_record_not_a_hang(fault_run):
    mine = [r for r in fault_run if r["method"] == "always-dies"]
    assert len(mine) == 1
    for record in mine:
        assert record["status"] == "error"
        assert f"worker died {MAX_DEATHS} times running this clip" in record["reason"]
        assert record["metrics"]["snr_raw"]["status"] == "error"


def test_a_cluster_started_separately_is_used_by_scheduler_file(tmp_path):
    scheduler_file = tmp_path / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dask",
                "scheduler",
                "--scheduler-file",
                str(scheduler_file),
                "--no-dashboard",
                "--port",
                "0",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        deadline = time.monotonic() + STALL_TIMEOUT  # a busy machine's imports, not a hang
        while not scheduler_file.exists():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.1)
        started.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "dask",
                    "worker",
                    "--scheduler-file",
                    str(scheduler_file),
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        out = tmp_path / "run"
        _finish(
            _evals(
                [
                    "run",
                    str(EXAMPLES),
                    "-m",
                    "griffinlim",
                    "-o",
                    str(out),
                    "--scheduler-file",
                    str(scheduler_file),
                    *FAST,
                ],
                tmp_path,
            ),
            out,
        )
        records = [json.loads(line) for line in _lines(clips_file(out))]
        assert len(records) == 2 and all(r["status"] == "ok" for r in records)
        assert json.loads((out / "run.json").read_text())["engine"] == "address"
    finally:
        for proc in started:
            proc.terminate()
        for proc in started:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_small_runs_use_the_in_process_engine_and_large_ones_a_local_cluster():
    assert choose_engine(12, None, None, None) == "in-process"
    assert choose_engine(1000, None, None, None) == "local"
    assert (
        choose_engine(12, "tcp://x:1", None, None) == choose_engine(12, None, "s.json", "local") == "address"
    )
    assert choose_engine(1000, None, None, "in-process") == "in-process"


class _FakeClient:
    def __init__(self, resources):
        self._workers = {f"w{i}": {"resources": r} for i, r in enumerate(resources)}

    def scheduler_info(self):
        return {"workers": self._workers}


def test_reconstruction_asks_for_a_gpu_only_when_a_worker_offers_one():
    assert gpu_resources(_FakeClient([{}, {}])) is None  # asking would wait forever
    assert gpu_resources(_FakeClient([{}, {"GPU": 1}])) == {"GPU": 1}


def test_a_local_cluster_serves_http_only_on_loopback_and_two_runs_do_not_collide():
    import warnings

    import psutil

    from evals.running.engine import open_client

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Dask warns when a second cluster finds port 8787 taken
        with open_client("in-process") as first, open_client("in-process") as second:
            ports = [c.scheduler_info()["services"]["dashboard"] for c in (first, second)]
            me = psutil.Process()
            connections = getattr(me, "net_connections", None) or me.connections  # psutil < 6
            listening = {
                c.laddr.port: c.laddr.ip for c in connections("tcp") if c.status == psutil.CONN_LISTEN
            }
    assert len(set(ports)) == 2 and 8787 not in ports
    assert all(listening[port] == "127.0.0.1" for port in ports), listening


def test_the_watchdog_fails_a_stalled_run_but_not_a_slow_one(tmp_path):
    """The runs above wait on progress: a process whose folder stops changing fails the test within
    the stall limit; one that is slow but keeps writing finishes, however long it takes in all."""
    stalled = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    start = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match="no progress"):
        _finish(stalled, tmp_path, stall=1.0)
    assert time.monotonic() - start < 30
    slow = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfor i in range(6):\n"
            "    open(sys.argv[1], 'a').write('x')\n    time.sleep(0.8)",
            str(tmp_path / "record"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _finish(slow, tmp_path, stall=3.0)  # 4.8 s in all, never 3 s without a change
