"""Append-only, keyed hash-chained audit log (DS Art 10 records; PIPL Art 56: kept ≥ 3 years).

Each entry stores an HMAC (key derived from the service secret, kept outside the database) over
the previous entry's hash and its own canonical content; the chain starts at a fixed genesis with
seq 1, and its newest committed position is kept outside the database as well
(:mod:`hegui.records.audit_anchor`). ``verify()`` therefore finds an edited, inserted or deleted
entry, an edit whose hashes were recomputed, a cut-off tail or head, an emptied log and an edited
checkpoint. The key and checkpoint are bound to the database at start
(:func:`hegui.records.protection.protect`) and reach this module through ``Session.info``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from hegui.errors import ConfigError
from hegui.identity.crypto import KeyRing
from hegui.records.audit_anchor import AuditAnchor, CheckpointInvalid, Head
from hegui.storage.base import utcnow
from hegui.storage.models import AuditEntry

GENESIS = "0" * 64
ANCHOR_INFO = "hegui.audit"  # Session.info / Database.info key of the AuditAnchor
_PENDING = "hegui.audit.pending"  # Session.info: (first seq, last seq, last hash) of the open transaction


class AuditKeyMissing(ConfigError):
    code = "AUDIT_KEY_MISSING"
    message_zh = "审计日志未绑定密钥与检查点（启动时须调用 hegui.records.protection.protect），拒绝写入或校验"
    message_en = ("the audit log has no key and checkpoint bound (call hegui.records.protection.protect at "
                  "start); refusing to write or verify")


class AuditChainBroken(ConfigError):
    code = "AUDIT_CHAIN_BROKEN"
    message_zh = "审计日志在 seq {seq} 处不完整或被篡改，不能重新锚定；请先调查（hegui audit verify）"
    message_en = "the audit log is broken or altered at seq {seq}; it cannot be re-anchored — investigate first " \
                 "(hegui audit verify)"


def chain_key(keys: KeyRing) -> bytes:
    """The entries' MAC key, derived from the service secret for this one purpose."""
    return bytes.fromhex(keys.pseudonym("entry-mac", "hegui/audit-chain"))


def checkpoint_key(keys: KeyRing) -> bytes:
    return bytes.fromhex(keys.pseudonym("checkpoint-mac", "hegui/audit-chain"))


def _canon_time(t: dt.datetime) -> str:
    if t.tzinfo is not None:
        t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return t.isoformat(timespec="microseconds")


def entry_hash(prev_hash: str, seq: int, at: dt.datetime, actor: str, action: str, target: str,
               detail: dict[str, Any], *, key: bytes | None) -> str:
    """HMAC-SHA256 of the entry with ``key``; ``key=None`` is the unkeyed SHA-256 of entries
    written before the chain was keyed (verified only below the checkpoint's ``keyed_from``)."""
    body = json.dumps([seq, _canon_time(at), actor, action, target, detail], sort_keys=True,
                      ensure_ascii=False, separators=(",", ":"), default=str)
    msg = f"{prev_hash}\n{body}".encode()
    if key is None:
        return hashlib.sha256(msg).hexdigest()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def user_ref(keys: KeyRing, user_id: str) -> str:
    """How audit entries name an end user: a keyed hash, never the identity (PIPL Art 47).

    The reference survives erasure without pointing back at the person.
    """
    return "user#" + keys.pseudonym(user_id, "audit")[:32]


def anchor_of(s: Session) -> AuditAnchor:
    anchor = s.info.get(ANCHOR_INFO)
    if not isinstance(anchor, AuditAnchor):
        raise AuditKeyMissing()
    return anchor


def append(s: Session, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None) -> AuditEntry:
    """Add an entry in the caller's transaction (so the action and its record commit together);
    the head checkpoint follows once that transaction has committed."""
    anchor = anchor_of(s)
    detail = json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str))
    # Serialise appenders until commit, so each reads the committed head: PostgreSQL by an
    # advisory lock (several gateway processes), SQLite by taking its write lock first
    # (a no-op write); a reader that saw an older head would fork the chain.
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(7283001)"))
    else:
        s.execute(text("UPDATE audit_log SET seq = seq WHERE seq < 0"))
    last = s.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    at = utcnow()
    entry = AuditEntry(seq=seq, at=at, actor=actor, action=action, target=target, detail=detail,
                       prev_hash=prev, hash=entry_hash(prev, seq, at, actor, action, target, detail,
                                                       key=anchor.key))
    s.add(entry)
    s.flush()
    first = s.info.get(_PENDING, (seq,))[0]
    s.info[_PENDING] = (first, seq, entry.hash)
    return entry


@event.listens_for(Session, "after_commit")
def _after_commit(s: Session) -> None:
    pending = s.info.pop(_PENDING, None)
    anchor = s.info.get(ANCHOR_INFO)
    if pending is not None and isinstance(anchor, AuditAnchor):
        first, seq, entry_hash_ = pending
        anchor.committed(seq, entry_hash_, started_chain=first == 1)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(s: Session, _previous_transaction: Any) -> None:
    # whatever was appended may be gone: a lagging checkpoint is tolerated, one ahead is not
    s.info.pop(_PENDING, None)


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    head: str
    problems: list[str]
    checkpoint: Head | None = None


def verify(s: Session) -> VerifyResult:
    """Walk the chain from genesis and compare it with the checkpoint kept outside the database."""
    try:
        anchor = anchor_of(s)
    except AuditKeyMissing as exc:
        return VerifyResult(False, 0, GENESIS, [exc.message("en") + " / " + exc.message("zh")])
    problems: list[str] = []
    checkpoint: Head | None = None
    checkpoint_bad = False
    try:
        checkpoint = anchor.checkpoint.read()
    except CheckpointInvalid as exc:
        checkpoint_bad = True
        problems.append(f"head checkpoint {anchor.checkpoint.path.name} altered ({exc}) / 头部检查点文件被篡改")
    keyed_from = checkpoint.keyed_from if checkpoint else 1
    prev_hash, expected_seq, count, head, last_seq = GENESIS, 1, 0, GENESIS, 0
    for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(1000):
        if e.seq != expected_seq:
            if count == 0:
                problems.append(f"first entry is seq {e.seq}, not 1: the oldest entries were deleted / 最早的条目被删除")
            else:
                problems.append(f"seq {last_seq} → {e.seq}: entries missing or inserted / 条目缺失或被插入")
        if e.prev_hash != prev_hash:
            problems.append("seq 1: genesis hash altered / 创世哈希被改动" if e.seq == 1 and count == 0 else
                            f"seq {e.seq}: chain broken (prev_hash) / 哈希链断裂")
        key = None if e.seq < keyed_from else anchor.key
        if entry_hash(e.prev_hash, e.seq, e.at, e.actor, e.action, e.target, e.detail or {}, key=key) != e.hash:
            problems.append(f"seq {e.seq}: content altered (MAC mismatch) / 条目内容被篡改")
        if checkpoint is not None and e.seq == checkpoint.seq and not _same(e.hash, checkpoint.hash):
            problems.append(f"seq {e.seq}: differs from the head checkpoint (chain rewritten) / 与头部检查点不符")
        prev_hash, expected_seq, head, last_seq = e.hash, e.seq + 1, e.hash, e.seq
        count += 1
    if checkpoint is not None and last_seq < checkpoint.seq:
        what = "all entries deleted / 全部条目被删除" if count == 0 else \
            f"entries after seq {last_seq} deleted / seq {last_seq} 之后的条目被删除"
        problems.append(f"the head checkpoint is at seq {checkpoint.seq}: {what}")
    elif checkpoint is None and not checkpoint_bad and count > 0:
        problems.append(f"head checkpoint {anchor.checkpoint.path.name} missing (deleted, or this host never "
                        "anchored: run `hegui audit anchor` after investigating) / 头部检查点文件缺失")
    return VerifyResult(not problems, count, head, problems, checkpoint)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def anchor_existing(s: Session, actor: str) -> Head:
    """Operator's re-anchor (``hegui audit anchor``): accept the chain now in the database, after
    investigating why the checkpoint is missing or off, and record that in the chain itself.

    Entries written before the chain was keyed (plain SHA-256) are accepted up to the first keyed
    one; a chain that is broken either way is refused.
    """
    anchor = anchor_of(s)
    prev, keyed_from, seq = GENESIS, None, 0
    for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(1000):
        fields = (e.prev_hash, e.seq, e.at, e.actor, e.action, e.target, e.detail or {})
        keyed = entry_hash(*fields, key=anchor.key) == e.hash
        if keyed and keyed_from is None:
            keyed_from = e.seq
        legacy_ok = keyed_from is None and entry_hash(*fields, key=None) == e.hash
        if e.seq != seq + 1 or e.prev_hash != prev or not (keyed or legacy_ok):
            raise AuditChainBroken(seq=e.seq)
        prev, seq = e.hash, e.seq
    head = Head(seq, prev, keyed_from or seq + 1)
    anchor.checkpoint.reset(head)
    append(s, actor, "audit.anchored", "audit_log", {"seq": seq, "keyed_from": head.keyed_from})
    return head
