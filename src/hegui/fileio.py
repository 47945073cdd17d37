"""Atomic file output, one implementation for every duty: a temp file in the target directory,
fsync, rename over the target, fsync of the directory. A crash leaves the old file or the new one,
never a partial one ("nothing is lost": records, exports, keys, labeled media, uploads).

Errors are raised as :class:`OSError`; each duty maps them to its own zh/en error.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path


PRIVATE_UMASK = 0o077  # what ``hegui`` sets at start: var/ holds 0600 files in 0700 folders
_umask_lock = threading.Lock()


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux ``/proc``)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    with _umask_lock:
        old = os.umask(PRIVATE_UMASK)
        os.umask(old)
    return old


def private_dir(folder: str | Path) -> Path:
    """Create ``folder`` (and parents) and make it 0700: personal information lives below it
    (PIPL Art 51: technical security measures)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    return folder


def fsync_dir(folder: str | Path) -> None:
    """Make a rename in ``folder`` durable (best effort: not every file system allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(dst: str | Path, *, mode: int | None = None, durable: bool = True) -> Iterator[Path]:
    """Yield a temp path next to ``dst`` for the caller (or a tool such as ffmpeg) to fill; on
    success it replaces ``dst``, on any error it is removed and ``dst`` is left as it was.

    ``mode``: the new file's permissions; ``None`` keeps those of the file it replaces (for a new
    file, 0666 less the process umask, as ``open()`` would: 0600 under ``hegui``'s umask 077).
    ``durable=False`` skips the fsyncs: still atomic against this process dying, not against the
    machine losing power — for bulk jobs that re-run on failure.
    """
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dst.name[:60]}.", suffix=".tmp", dir=dst.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if mode is None:
            try:
                mode = os.stat(dst).st_mode & 0o7777
            except FileNotFoundError:
                mode = 0o666 & ~current_umask()
        os.chmod(tmp, mode)
        if durable:
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(dst.parent)


@contextlib.contextmanager
def atomic_open(dst: str | Path, text: bool = False, *, mode: int | None = None,
                durable: bool = True) -> Iterator:
    """:func:`atomic_path`, opened for writing (binary, or UTF-8 text with ``text=True``)."""
    with atomic_path(dst, mode=mode, durable=durable) as tmp:
        with open(tmp, "w", encoding="utf-8") if text else open(tmp, "wb") as f:
            yield f


def write_atomic(dst: str | Path, data: bytes | str | Iterable[bytes], *, mode: int | None = None,
                 durable: bool = True) -> Path:
    """Write ``data`` (bytes, text as UTF-8, or an iterable of byte chunks) to ``dst`` atomically."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    with atomic_open(dst, mode=mode, durable=durable) as f:
        if isinstance(data, (bytes, bytearray, memoryview)):
            f.write(data)
        else:
            for chunk in data:
                f.write(chunk)
    return Path(dst)
