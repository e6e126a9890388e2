"""Safe output files: never over an existing file without `force`, never over the input, atomic.

A write goes to a temporary file in the target folder and is renamed over the target only once
complete (`os.replace`), so an interrupted run leaves no half-written output; the temporary file
is removed on any error, Ctrl-C included. The file gets the permissions `open()` would give it
(0o666 less the umask), not the 0600 of the temporary file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import OutputExistsError, OutputPathError


def check_output(path, *, force: bool = False, source=None) -> Path:
    """Refuses `path` if it is the input, exists without `force`, or its folder is missing."""
    path = Path(path)
    if source is not None and path.exists() and path.resolve() == Path(source).resolve():
        raise OutputPathError(f"refusing to write over the input file {path}; pick another output")
    if path.exists() and not force:
        raise OutputExistsError(f"{path} exists; pass --force (force=True) to overwrite it")
    if not path.parent.is_dir():
        raise OutputPathError(f"output folder does not exist: {path.parent}")
    return path


def atomic_write(path, write: Callable[[str], None], *, force: bool = False, source=None) -> Path:
    """Calls `write(temporary_path)`, then renames the result to `path`; returns `path` resolved."""
    path = check_output(path, force=force, source=source)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes 0600; the output follows the umask
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path.resolve()


def current_umask() -> int:
    """The process umask, read without changing it where Linux allows (`/proc/self/status`)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)  # elsewhere: set and restore (a brief window; the safe value meanwhile)
    os.umask(mask)
    return mask


def write_bytes(path, data: bytes, *, force: bool = False, source=None) -> Path:
    """`data` to `path`, atomically and fsync'ed; see `atomic_write`."""

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    return atomic_write(path, write, force=force, source=source)
