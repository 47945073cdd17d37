"""The audit log's anchor outside the database: its MAC key and a head checkpoint file.

A hash chain alone cannot show that its newest entries were cut off, that the whole log was
emptied, or that someone with database access edited an entry and recomputed every hash after it
(PIPL Art 56 and DS Art 10 records must be trustworthy). So:

- every entry carries an HMAC keyed with a key derived from the service secret, which lives in
  ``var/secret.key`` or the configuration — never in the database;
- the newest committed ``(seq, hash)`` is kept in ``var/audit-head.json`` with its own HMAC,
  replaced atomically after each commit that appended entries. Several gateway processes may
  share one PostgreSQL: the file is updated under an exclusive ``flock`` and never moves
  backwards, so it may lag behind the database head (tolerated) but never runs ahead of it;
- each new head can also go to an external sink (:class:`SyslogSink`), out of reach of anyone
  who holds only the database and ``var/``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import logging.handlers
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hegui.fileio import write_atomic

try:  # POSIX; elsewhere only the in-process lock applies
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("hegui.audit")
CHECKPOINT_FILE = "audit-head.json"
HeadSink = Callable[[int, str], None]


class CheckpointInvalid(Exception):
    """The checkpoint file exists but is not one hegui wrote (edited, forged or garbled)."""


@dataclass(frozen=True)
class Head:
    """A committed chain position: entry ``seq`` had ``hash``. Entries before ``keyed_from``
    were written before the chain was keyed (plain SHA-256, verified as such)."""

    seq: int
    hash: str
    keyed_from: int = 1


class Checkpoint:
    """``var/audit-head.json``: the newest known head, with an HMAC over its content."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = Path(path)
        self._key = key
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._thread_lock = threading.Lock()

    def _mac(self, body: dict) -> str:
        msg = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    def read(self) -> Head | None:
        """The checkpoint, ``None`` if there is none; :class:`CheckpointInvalid` if tampered."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            data = json.loads(raw)
            body = {k: data[k] for k in ("v", "seq", "hash", "keyed_from", "at")}
            ok = hmac.compare_digest(str(data["mac"]), self._mac(body))
            head = Head(int(body["seq"]), str(body["hash"]), int(body["keyed_from"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise CheckpointInvalid(f"unreadable ({type(exc).__name__})") from exc
        if not ok or body["v"] != 1 or head.seq < 0 or head.keyed_from < 1:
            raise CheckpointInvalid("MAC mismatch")
        return head

    def _write(self, head: Head) -> None:
        body = {"v": 1, "seq": head.seq, "hash": head.hash, "keyed_from": head.keyed_from,
                "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        write_atomic(self.path, json.dumps({**body, "mac": self._mac(body)}), mode=0o600)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock:
            if fcntl is None:  # pragma: no cover
                yield
                return
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing releases the lock

    def advance(self, seq: int, entry_hash: str, *, started_chain: bool = False) -> bool:
        """Move the checkpoint to ``seq`` if that is newer; never backwards.

        A missing file is created only by the commit that wrote the chain's first entry
        (``started_chain``): otherwise it
        was deleted, or never written on this host, and only an operator may re-anchor
        (``hegui audit anchor``) — creating it here would hide a truncation. A tampered file is
        left as it is for ``hegui audit verify`` to report. Returns whether the file moved.
        """
        with self._locked():
            try:
                current = self.read()
            except CheckpointInvalid:
                log.error("audit checkpoint %s is invalid; not updated (run hegui audit verify)", self.path)
                return False
            if current is None:
                if not started_chain:
                    log.warning("audit checkpoint %s missing; not created at seq %d (run hegui audit verify)",
                                self.path, seq)
                    return False
                self._write(Head(seq, entry_hash, 1))
                return True
            if seq <= current.seq:
                return False
            self._write(Head(seq, entry_hash, current.keyed_from))
            return True

    def reset(self, head: Head) -> None:
        """Operator's re-anchor after investigation (``hegui audit anchor``)."""
        with self._locked():
            self._write(head)


class SyslogSink:
    """Send each new head to syslog (local or remote), a copy the database holder cannot edit."""

    def __init__(self, address: str | tuple[str, int] = "/dev/log") -> None:
        self._log = logging.getLogger(f"hegui.audit.syslog.{id(self)}")
        self._log.propagate = False
        self._log.setLevel(logging.INFO)
        self._log.addHandler(logging.handlers.SysLogHandler(address=address))

    def __call__(self, seq: int, entry_hash: str) -> None:
        self._log.info("hegui audit head seq=%d hash=%s", seq, entry_hash)


@dataclass
class AuditAnchor:
    """What :mod:`hegui.records.audit` needs from outside the database."""

    key: bytes
    checkpoint: Checkpoint
    sinks: Sequence[HeadSink] = field(default_factory=tuple)

    def committed(self, seq: int, entry_hash: str, *, started_chain: bool = False) -> None:
        """After a commit that appended entries up to ``seq``: advance the checkpoint, tell the
        sinks. Never raises (the action it records has already committed)."""
        try:
            moved = self.checkpoint.advance(seq, entry_hash, started_chain=started_chain)
        except OSError as exc:
            log.error("audit checkpoint not updated: %s", exc)
            moved = False
        log.debug("audit head seq=%d hash=%s checkpoint_moved=%s", seq, entry_hash, moved)
        for sink in self.sinks:
            try:
                sink(seq, entry_hash)
            except Exception as exc:  # noqa: BLE001 - a sink failing must not undo the commit
                log.error("audit head sink %r failed: %s", sink, exc)
