"""Atomic file output: temp file in the target directory, fsync, rename (never a partial file)."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from hegui.fileio import atomic_path
from hegui.labeling.errors import LabelDiskFull, LabelPathNotWritable, LabelWriteFailed


def map_os_error(exc: OSError, path: str | Path) -> LabelWriteFailed:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return LabelDiskFull(path=str(path))
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return LabelPathNotWritable(path=str(path))
    return LabelWriteFailed(path=str(path), detail=exc.strerror or str(exc))


@contextlib.contextmanager
def atomic_output(path: str | Path, *, durable: bool = True) -> Iterator[tuple[BinaryIO, Path]]:
    """Yield ``(file, temp_path)`` next to ``path`` (:func:`hegui.fileio.atomic_path`), with OS
    errors turned into the labeling's zh/en errors. ``durable=False`` skips the fsyncs — for bulk
    jobs that re-run on failure."""
    try:
        with atomic_path(path, durable=durable) as tmp, open(tmp, "wb") as f:
            yield f, tmp
    except OSError as exc:
        raise map_os_error(exc, path) from exc


def write_atomic(path: str | Path, chunks: bytes | Iterable[bytes],
                 verify: Callable[[Path], None] | None = None, *, durable: bool = True) -> None:
    """Write ``chunks`` atomically; ``verify(temp_path)`` may raise to abort before the rename."""
    path = Path(path)
    with atomic_output(path, durable=durable) as (f, tmp):
        if isinstance(chunks, (bytes, bytearray)):
            f.write(chunks)
        else:
            for c in chunks:
                f.write(c)
        if verify is not None:
            f.flush()
            verify(tmp)


_NO_COPY_RANGE = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF, errno.ETXTBSY}


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _copy_span(src_fd: int, dst_fd: int, offset: int, count: int) -> None:
    """Copy ``count`` bytes from ``src_fd`` at ``offset`` to the current position of ``dst_fd``,
    in the kernel when possible (``copy_file_range``), else through a 1 MiB buffer."""
    fast = hasattr(os, "copy_file_range")
    while count > 0:
        if fast:
            try:
                n = os.copy_file_range(src_fd, dst_fd, min(count, 1 << 30), offset)
            except OSError as exc:
                if exc.errno not in _NO_COPY_RANGE:
                    raise
                fast = False
                continue
            if n == 0:
                raise OSError(errno.EIO, "source ended early")
        else:
            chunk = os.pread(src_fd, min(count, 1 << 20), offset)
            if not chunk:
                raise OSError(errno.EIO, "source ended early")
            _write_all(dst_fd, chunk)
            n = len(chunk)
        offset += n
        count -= n


def write_edited_atomic(path: str | Path, src_fd: int, size: int, edits: Iterable[tuple[int, int, bytes]],
                        verify: Callable[[Path], None] | None = None, *, durable: bool = True) -> None:
    """Write ``src`` with ``(offset, length, data)`` edits applied, unchanged spans copied in the
    kernel (streaming: memory use does not grow with the file), atomically."""
    with atomic_output(path, durable=durable) as (f, tmp):
        f.flush()
        fd = f.fileno()
        pos = 0
        for offset, length, data in sorted(edits):
            if offset < pos or offset + length > size:
                raise ValueError("overlapping or out-of-range edit")
            _copy_span(src_fd, fd, pos, offset - pos)
            _write_all(fd, data)
            pos = offset + length
        _copy_span(src_fd, fd, pos, size - pos)
        if verify is not None:
            verify(tmp)
