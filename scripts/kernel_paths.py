"""Another machine's CPU kernels on this one: MKL's code branches, oneDNN's ISA cap, ATen's vector
kernels and the thread count, each chosen by environment variables in a fresh process.

MKL picks its code path when it starts: on an Intel CPU the newest branch the CPU runs (AVX-512 on
a Xeon with AVX-512), and `MKL_CBWR` pins one ("conditional numerical reproducibility"). On any
other CPU MKL honours only `MKL_CBWR=COMPATIBLE` and otherwise runs one generic path, so an AMD
machine never runs the AVX2 or AVX-512 FFTs that an Intel machine of the same kind runs, and a
golden value recorded there can fail on the Intel one (issue 32: copy-synthesis PESQ-WB 1.0508 ->
1.0442). MKL asks `mkl_serv_intel_cpu_true()` whether the CPU is Intel; torch's `libtorch_cpu.so`
exports that symbol, so a one-function library loaded first (`LD_PRELOAD`, built here with the
system C compiler) answers yes, and `MKL_CBWR` then selects the Intel branches on any x86 CPU that
has their instructions. That this reproduces an Intel machine was checked against the issue's
own numbers: the emulated AVX-512 branch gives 1.0442 exactly.

    python -m scripts.kernel_paths                       # tests/test_golden.py under every setting
    python -m scripts.kernel_paths -- -m slow            # the slow grid (pytest arguments after --)
    python -m scripts.kernel_paths --list                # which settings this CPU can run, and how

Whether a branch took effect is read back from MKL itself (`mkl_serv_cbwr_get`), in the process
that runs with the setting; a branch the CPU cannot run is reported as not run, with the reason.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

INTEL_DISPATCH_C = "int mkl_serv_intel_cpu_true(void) { return 1; }\n"
"""MKL's own question "is this an Intel CPU?", answered yes."""

MKL_BRANCHES = {"AUTO": 2, "COMPATIBLE": 3, "SSE4_2": 8, "AVX": 9, "AVX2": 10, "AVX512": 12, "AVX512_E1": 14}
"""MKL_CBWR values and the codes `mkl_cbwr_get(MKL_CBWR_BRANCH)` returns for them (mkl_cbwr.h)."""
BRANCH_NAMES = {code: name for name, code in MKL_BRANCHES.items()} | {1: "AUTO"}

CPU_FLAGS_NEEDED = {
    "SSE4_2": "sse4_2",
    "AVX": "avx",
    "AVX2": "avx2",
    "AVX512": "avx512f",
    "AVX512_E1": "avx512f",
}

SSE41_ONE_THREAD = {"ONEDNN_MAX_CPU_ISA": "SSE41", "ATEN_CPU_CAPABILITY": "default", "OMP_NUM_THREADS": "1"}

CHECK_SETTINGS: dict[str, dict[str, str]] = {
    "machine default": {},
    "MKL_CBWR=COMPATIBLE": {"MKL_CBWR": "COMPATIBLE"},
    "MKL_CBWR=SSE4_2": {"MKL_CBWR": "SSE4_2"},
    "MKL_CBWR=AVX2": {"MKL_CBWR": "AVX2"},
    "MKL_CBWR=AVX512": {"MKL_CBWR": "AVX512"},
    "MKL_CBWR=AVX512_E1": {"MKL_CBWR": "AVX512_E1"},
    "oneDNN SSE4.1, ATen default, 1 thread": SSE41_ONE_THREAD,
}
"""The settings under which tests/test_golden.py must pass (issue 32), by the name printed."""


@dataclass(frozen=True)
class Setting:
    """One setting as this machine can run it.

    env: the environment overrides to run with (LD_PRELOAD added where MKL needs the shim);
    runnable: False when this CPU cannot run it; note: how it runs, or why it cannot.
    """

    env: dict[str, str]
    runnable: bool
    note: str


def cpu_description() -> str:
    """'GenuineIntel Intel(R) Xeon(R) ... (2 cores)' from /proc/cpuinfo where it exists."""
    info = _cpuinfo()
    vendor = info.get("vendor_id", platform.machine())
    model = info.get("model name", platform.processor() or "")
    return f"{vendor} {model} ({os.cpu_count()} cores)".strip()


def cpu_flags() -> set[str]:
    return set(_cpuinfo().get("flags", "").split())


@functools.cache
def _cpuinfo() -> dict[str, str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    first = text.split("\n\n")[0]
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in first.splitlines())}


@functools.cache
def intel_dispatch_library() -> Path | None:
    """The shim, built once per process into a temporary folder; None without a C compiler."""
    compiler = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if compiler is None or sys.platform != "linux":
        return None
    folder = Path(tempfile.mkdtemp(prefix="mkl-intel-dispatch-"))
    (folder / "shim.c").write_text(INTEL_DISPATCH_C)
    built = subprocess.run(
        [compiler, "-shared", "-fPIC", "-O2", "-o", str(folder / "libshim.so"), str(folder / "shim.c")],
        capture_output=True,
        text=True,
        check=False,
    )
    return folder / "libshim.so" if built.returncode == 0 else None


def mkl_branch_in_effect(env: dict[str, str]) -> str | None:
    """The MKL branch a fresh process with `env` runs ('AUTO', 'AVX2', ...); None without MKL."""
    probe = (
        "import ctypes, os, torch\n"
        "lib = ctypes.CDLL(os.path.join(os.path.dirname(torch.__file__), 'lib', 'libtorch_cpu.so'))\n"
        "print(lib.mkl_serv_cbwr_get(1) if hasattr(lib, 'mkl_serv_cbwr_get') else -1)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env={**os.environ, **env}, capture_output=True, check=False, text=True
    )
    if done.returncode != 0:
        return None
    code = int(done.stdout.split()[-1])
    return None if code < 0 else BRANCH_NAMES.get(code, f"code {code}")


def resolve(env: dict[str, str]) -> Setting:
    """How this machine runs `env`: as it is, with the Intel-dispatch shim, or not at all."""
    branch = env.get("MKL_CBWR")
    if branch is None or branch in ("AUTO", "COMPATIBLE"):
        return Setting(dict(env), True, "as set")
    flag = CPU_FLAGS_NEEDED.get(branch)
    if flag and cpu_flags() and flag not in cpu_flags():
        return Setting(dict(env), False, f"this CPU has no {flag}: MKL's {branch} branch cannot run here")
    in_effect = mkl_branch_in_effect(env)
    if in_effect is None:
        return Setting(dict(env), False, "torch here has no MKL: no MKL branch to choose")
    if in_effect == branch:
        return Setting(dict(env), True, "as set (MKL honours it on this CPU)")
    shim = intel_dispatch_library()
    if shim is None:
        return Setting(
            dict(env),
            False,
            f"MKL ignores {branch} on this non-Intel CPU (runs {in_effect}), "
            "and no C compiler is here to build the Intel-dispatch shim",
        )
    shimmed = {**env, "LD_PRELOAD": " ".join(filter(None, [os.environ.get("LD_PRELOAD"), str(shim)]))}
    if mkl_branch_in_effect(shimmed) != branch:
        return Setting(dict(env), False, f"MKL does not run {branch} here, even told the CPU is Intel")
    return Setting(
        shimmed,
        True,
        f"MKL ignores {branch} on this non-Intel CPU: run with the Intel-dispatch shim (LD_PRELOAD)",
    )


def run_golden_tests(pytest_args: list[str]) -> list[tuple[str, Setting, int | None]]:
    """tests/test_golden.py in one process per setting: (name, setting, pytest's exit code or None)."""
    results = []
    for name, env in CHECK_SETTINGS.items():
        setting = resolve(env)
        if not setting.runnable:
            results.append((name, setting, None))
            print(f"== {name}: not run: {setting.note}", flush=True)
            continue
        print(f"== {name}: {setting.note}", flush=True)
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "tests/test_golden.py",
            "-n",
            "0",
            "-q",
            "-p",
            "no:cacheprovider",
            *pytest_args,
        ]
        done = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **setting.env}, check=False)
        results.append((name, setting, done.returncode))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="only say which settings run here, and how")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (put them after --)")
    args = parser.parse_args(argv)
    print(f"CPU: {cpu_description()}")
    if args.list:
        for name, env in CHECK_SETTINGS.items():
            setting = resolve(env)
            print(f"{name:40s} {'runs' if setting.runnable else 'cannot run'}: {setting.note}")
        return 0
    results = run_golden_tests(args.pytest_args)
    print("\n| setting | tests/test_golden.py | how |\n|---|---|---|")
    for name, setting, code in results:
        verdict = "not run" if code is None else ("passed" if code == 0 else f"FAILED (exit {code})")
        print(f"| {name} | {verdict} | {setting.note} |")
    return 0 if all(code in (None, 0) for _, _, code in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
