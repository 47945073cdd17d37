"""Atomic output files: temp file in the target directory, fsync, rename (never a partial output)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hegui.labeling.explicit.errors import OutputNotWritable


@contextlib.contextmanager
def temp_output(dst: Path) -> Iterator[Path]:
    """Yield a temp path next to ``dst``; on success fsync it and rename it onto ``dst``.

    On any error the temp file is removed and ``dst`` is left as it was.
    """
    dst = Path(dst)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{dst.stem[:40]}.", suffix=dst.suffix + ".part", dir=dst.parent)
    except OSError as exc:
        raise OutputNotWritable(path=str(dst), detail=exc.strerror or str(exc)) from exc
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dst)
        with contextlib.suppress(OSError):  # directory fsync is best effort (not on every FS)
            dfd = os.open(dst.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputNotWritable(path=str(dst), detail=exc.strerror or str(exc)) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(dst: Path, data: bytes) -> Path:
    with temp_output(dst) as tmp:
        tmp.write_bytes(data)
    return Path(dst)
