"""Append-only, hash-chained audit log (DS Art 10 records; PIPL Art 56: kept ≥ 3 years).

Each entry stores the SHA-256 of the previous entry's hash plus its own canonical content, so
``verify()`` finds any edited, inserted or deleted entry. Truncating the newest entries leaves a
valid shorter chain; compare the head hash with an exported anchor (``head()``) to catch that.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hegui.identity.crypto import KeyRing
from hegui.storage.base import utcnow
from hegui.storage.models import AuditEntry

GENESIS = "0" * 64
_lock = threading.Lock()


def _canon_time(t: dt.datetime) -> str:
    if t.tzinfo is not None:
        t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return t.isoformat(timespec="microseconds")


def entry_hash(prev_hash: str, seq: int, at: dt.datetime, actor: str, action: str, target: str,
               detail: dict[str, Any]) -> str:
    body = json.dumps([seq, _canon_time(at), actor, action, target, detail], sort_keys=True,
                      ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def user_ref(keys: KeyRing, user_id: str) -> str:
    """How audit entries name an end user: a keyed hash, never the identity (PIPL Art 47).

    The reference survives erasure without pointing back at the person.
    """
    return "user#" + keys.pseudonym(user_id, "audit")[:32]


def append(s: Session, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None) -> AuditEntry:
    """Add an entry in the caller's transaction (so the action and its record commit together)."""
    detail = json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str))
    with _lock:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(7283001)"))
        last = s.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
        seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
        at = utcnow()
        entry = AuditEntry(seq=seq, at=at, actor=actor, action=action, target=target, detail=detail,
                           prev_hash=prev, hash=entry_hash(prev, seq, at, actor, action, target, detail))
        s.add(entry)
        s.flush()
    return entry


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    head: str
    problems: list[str]


def verify(s: Session) -> VerifyResult:
    problems: list[str] = []
    prev_hash: str | None = None
    prev_seq: int | None = None
    count = 0
    head = GENESIS
    for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(1000):
        count += 1
        if prev_seq is not None and e.seq != prev_seq + 1:
            problems.append(f"seq {prev_seq} → {e.seq}: entries missing or inserted / 条目缺失或被插入")
        if prev_hash is not None and e.prev_hash != prev_hash:
            problems.append(f"seq {e.seq}: chain broken (prev_hash) / 哈希链断裂")
        elif prev_hash is None and e.seq == 1 and e.prev_hash != GENESIS:
            problems.append("seq 1: genesis hash altered / 创世哈希被改动")
        expected = entry_hash(e.prev_hash, e.seq, e.at, e.actor, e.action, e.target, e.detail or {})
        if expected != e.hash:
            problems.append(f"seq {e.seq}: content altered (hash mismatch) / 条目内容被篡改")
        prev_hash, prev_seq, head = e.hash, e.seq, e.hash
    return VerifyResult(not problems, count, head, problems)
