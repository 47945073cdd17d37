"""Atomic file output, one implementation for every duty: a temp file in the target directory,
fsync, rename over the target, fsync of the directory. A crash leaves the old file or the new one,
never a partial one ("nothing is lost": records, exports, keys, labeled media, uploads).

Errors are raised as :class:`OSError`; each duty maps them to its own zh/en error.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path


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

    ``mode``: the new file's permissions; ``None`` keeps those of the file it replaces (0644 for a
    new file). ``durable=False`` skips the fsyncs: still atomic against this process dying, not
    against the machine losing power — for bulk jobs that re-run on failure.
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
                mode = 0o644
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
