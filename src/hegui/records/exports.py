"""Personal-information access/copy archives on disk (PIPL Arts 45, 47, 51).

An archive holds the user's prompts and outputs in plain text, so it is kept no longer than it is
needed: 0600 in a 0700 folder, removed ``ttl_days`` after it was written (by the retention job,
:func:`hegui.records.retention.purge`), and at once when the user is erased.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from pathlib import Path

from hegui.fileio import private_dir, write_atomic

EXPORTS_DIR = "pi-exports"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}\.zip$")


class ExportStore:
    def __init__(self, folder: str | Path, ttl_days: int) -> None:
        self.folder = Path(folder)
        self.ttl = dt.timedelta(days=ttl_days)

    def _file(self, name: str) -> Path | None:
        """The archive's path for a well-formed bare name (names come from stored case results)."""
        return self.folder / name if isinstance(name, str) and _NAME.match(name) and ".." not in name else None

    def write(self, name: str, data: bytes) -> Path:
        path = self._file(name)
        if path is None:
            raise ValueError(f"bad archive name {name!r}")
        private_dir(self.folder)
        return write_atomic(path, data, mode=0o600)

    def _expired(self, path: Path, now: dt.datetime) -> bool:
        written = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
        return written + self.ttl <= now

    def path(self, name: str, now: dt.datetime | None = None) -> Path | None:
        """The archive to serve, or ``None`` when it does not exist or has expired (then removed)."""
        path = self._file(name)
        if path is None or not path.is_file():
            return None
        if self._expired(path, now or dt.datetime.now(dt.timezone.utc)):
            path.unlink(missing_ok=True)
            return None
        return path

    def sweep(self, now: dt.datetime | None = None) -> int:
        """Remove expired archives (and temp files a crash left behind); returns how many."""
        now = now or dt.datetime.now(dt.timezone.utc)
        if not self.folder.is_dir():
            return 0
        n = 0
        for entry in os.scandir(self.folder):
            path = Path(entry.path)
            if entry.is_file(follow_symlinks=False) and self._expired(path, now):
                path.unlink(missing_ok=True)
                n += 1
        return n

    def remove(self, names: Iterable[str]) -> int:
        n = 0
        for name in names:
            path = self._file(name)
            if path is not None and path.exists():
                path.unlink()
                n += 1
        return n
