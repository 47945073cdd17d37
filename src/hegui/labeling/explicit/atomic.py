"""Atomic output files for explicit labels (:mod:`hegui.fileio`), with OS errors as the
explicit-label zh/en error."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from hegui.fileio import atomic_path
from hegui.labeling.explicit.errors import OutputNotWritable


@contextlib.contextmanager
def temp_output(dst: Path) -> Iterator[Path]:
    """Yield a temp path next to ``dst``; on success it replaces ``dst``, on error ``dst`` is left as it was."""
    try:
        with atomic_path(dst) as tmp:
            yield tmp
    except OSError as exc:
        raise OutputNotWritable(path=str(dst), detail=exc.strerror or str(exc)) from exc


def write_atomic(dst: Path, data: bytes) -> Path:
    with temp_output(dst) as tmp:
        tmp.write_bytes(data)
    return Path(dst)
