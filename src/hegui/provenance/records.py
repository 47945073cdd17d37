"""The provenance store: one sealed, hash-chained record per generated output (issue 15).

A court asked the user of a generative service to show his intellectual input — the model, the
prompts and negative prompts, the parameters, the iterations and the selection (Beijing Internet
Court, *Li v. Liu*, 2023). Each output's inputs are sealed (AES-GCM, bound to the row id) and the
user's records form a chain: ``entry_hash = SHA-256(prev_hash ‖ canonical fields)``, so an entry
removed, inserted or altered in the database is found by :meth:`ProvenanceStore.verify_chain`.
Erasing a record's inputs at the user's request (PIPL Art 47) keeps its chain entry: the hashes are
over the inputs' digest, not the inputs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update

from hegui.errors import NotFound, ValidationFailed
from hegui.identity.crypto import KeyRing
from hegui.provenance.models import ProvenanceRecord
from hegui.storage.base import new_id, utcnow
from hegui.storage.db import Database

GENESIS = "0" * 64
MAX_INPUTS_BYTES = 4 << 20  # sealed inputs per output (prompts, messages, parameters)


def canonical(value: Any) -> bytes:
    """Canonical JSON (sorted keys, no spaces, UTF-8): what hashes and signatures are over."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(slots=True)
class ProvenanceEntry:
    """What the gateway knows of one output when it is delivered.

    ``inputs``: everything the user supplied that shaped it — ``prompt`` / ``messages``,
    ``negative_prompt``, ``parameters`` (seed, steps, guidance, size, temperature, …) and, for an
    iteration, ``edit`` (what changed from ``parent_content_id``)."""

    content_id: str
    user_id: str
    request_id: str
    endpoint: str
    inputs: dict[str, Any]
    output_sha256: str
    model: str | None = None
    upstream: str | None = None
    app_id: str | None = None
    parent_content_id: str | None = None
    keep_until: dt.datetime | None = None
    created_at: dt.datetime = field(default_factory=utcnow)


def entry_fields(row: ProvenanceRecord) -> dict[str, Any]:
    """The fields the chain hash covers (and an export's manifest repeats)."""
    return {"content_id": row.content_id, "user_id": row.user_id, "app_id": row.app_id,
            "request_id": row.request_id, "endpoint": row.endpoint, "model": row.model, "upstream": row.upstream,
            "inputs_sha256": row.inputs_sha256, "output_sha256": row.output_sha256,
            "parent_content_id": row.parent_content_id, "seq": row.seq,
            "created_at": iso_utc(row.created_at)}


def chain_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return sha256_hex(prev_hash.encode("ascii") + canonical(fields))


def iso_utc(t: dt.datetime | None, timespec: str = "microseconds") -> str | None:
    """ISO 8601 in UTC; a naive time (SQLite gives them back) is taken as UTC."""
    if t is None:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.astimezone(dt.timezone.utc).isoformat(timespec=timespec)


def _aad(row_id: str) -> bytes:
    return b"provenance:" + row_id.encode("ascii")


class ProvenanceStore:
    """Write, read and check provenance records. Callers run it on a worker thread (blocking I/O)."""

    def __init__(self, db: Database, keys: KeyRing) -> None:
        self.db = db
        self.keys = keys

    def record(self, entry: ProvenanceEntry) -> ProvenanceRecord:
        """Append ``entry`` to its user's chain (one transaction; concurrent writers of one user
        are serialised by the unique (user_id, seq) index — the loser retries)."""
        raw = canonical(entry.inputs)
        if len(raw) > MAX_INPUTS_BYTES:
            raise ValidationFailed(message_en=f"provenance inputs exceed {MAX_INPUTS_BYTES >> 20} MiB",
                                   message_zh=f"创作过程记录超过 {MAX_INPUTS_BYTES >> 20} MiB")
        for attempt in range(5):
            try:
                return self._append(entry, raw)
            except Exception as exc:  # noqa: BLE001 - an IntegrityError on (user_id, seq): another writer won
                if attempt == 4 or "unique" not in str(exc).lower() and "duplicate" not in str(exc).lower():
                    raise
        raise AssertionError("unreachable")

    def _append(self, entry: ProvenanceEntry, raw: bytes) -> ProvenanceRecord:
        with self.db.session() as s:
            last = s.execute(select(ProvenanceRecord.seq, ProvenanceRecord.entry_hash)
                             .where(ProvenanceRecord.user_id == entry.user_id)
                             .order_by(ProvenanceRecord.seq.desc()).limit(1)).first()
            seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
            rid = new_id()
            row = ProvenanceRecord(
                id=rid, content_id=entry.content_id, user_id=entry.user_id, app_id=entry.app_id,
                request_id=entry.request_id, endpoint=entry.endpoint, model=entry.model, upstream=entry.upstream,
                inputs_enc=self.keys.seal(raw, _aad(rid)), inputs_sha256=sha256_hex(raw),
                output_sha256=entry.output_sha256, parent_content_id=entry.parent_content_id, seq=seq,
                prev_hash=prev, entry_hash="", keep_until=entry.keep_until, created_at=entry.created_at)
            row.entry_hash = chain_hash(prev, entry_fields(row))
            s.add(row)
            s.commit()
            s.refresh(row)
            s.expunge(row)
            return row

    def get(self, content_id: str) -> ProvenanceRecord:
        with self.db.session() as s:
            row = s.scalar(select(ProvenanceRecord).where(ProvenanceRecord.content_id == content_id))
            if row is None:
                raise NotFound(message_en=f"no provenance record for {content_id}",
                               message_zh=f"没有 {content_id} 的创作过程记录")
            s.expunge(row)
            return row

    def inputs(self, row: ProvenanceRecord) -> dict[str, Any] | None:
        """The unsealed inputs; ``None`` once erased. A mismatch with ``inputs_sha256`` raises."""
        if row.deleted_at is not None or not row.inputs_enc:
            return None
        raw = self.keys.unseal(row.inputs_enc, _aad(row.id))
        if sha256_hex(raw) != row.inputs_sha256:
            raise ValidationFailed(message_en=f"provenance inputs of {row.content_id} do not match their hash",
                                   message_zh=f"{row.content_id} 的创作过程记录与其哈希不符")
        return json.loads(raw)

    def lineage(self, content_id: str, *, limit: int = 1000) -> list[ProvenanceRecord]:
        """The iteration chain ending at ``content_id``: the oldest ancestor first."""
        out: list[ProvenanceRecord] = []
        seen: set[str] = set()
        cid: str | None = content_id
        while cid and cid not in seen and len(out) < limit:
            seen.add(cid)
            try:
                row = self.get(cid)
            except NotFound:
                break
            out.append(row)
            cid = row.parent_content_id
        return out[::-1]

    def chain(self, user_id: str) -> list[ProvenanceRecord]:
        with self.db.session() as s:
            rows = list(s.scalars(select(ProvenanceRecord).where(ProvenanceRecord.user_id == user_id)
                                  .order_by(ProvenanceRecord.seq)))
            for r in rows:
                s.expunge(r)
            return rows

    def verify_chain(self, user_id: str) -> list[str]:
        """Problems in the user's chain (empty: intact): a gap, a broken link, an altered entry."""
        problems: list[str] = []
        prev, expect = GENESIS, 1
        for row in self.chain(user_id):
            if row.seq != expect:
                problems.append(f"seq {expect} missing before {row.seq} ({row.content_id})")
            if row.prev_hash != prev:
                problems.append(f"seq {row.seq} ({row.content_id}): prev_hash does not link to the entry before")
            if chain_hash(row.prev_hash, entry_fields(row)) != row.entry_hash:
                problems.append(f"seq {row.seq} ({row.content_id}): entry altered (hash mismatch)")
            prev, expect = row.entry_hash, row.seq + 1
        return problems

    def select(self, content_id: str, user_id: str) -> ProvenanceRecord:
        """The user chose this output (the selection step of the creative process)."""
        return self._update_own(content_id, user_id, lambda row: setattr(row, "selected_at",
                                                                         row.selected_at or utcnow()))

    def erase(self, content_id: str, user_id: str) -> ProvenanceRecord:
        """Erase the inputs at the user's request (PIPL Art 47); the chain entry stays."""

        def erase(row: ProvenanceRecord) -> None:
            row.inputs_enc, row.deleted_at = b"", row.deleted_at or utcnow()

        return self._update_own(content_id, user_id, erase)

    def _update_own(self, content_id: str, user_id: str,
                    change: Callable[[ProvenanceRecord], None]) -> ProvenanceRecord:
        with self.db.session() as s:
            row = s.scalar(select(ProvenanceRecord).where(ProvenanceRecord.content_id == content_id,
                                                          ProvenanceRecord.user_id == user_id))
            if row is None:
                raise NotFound(message_en=f"no provenance record for {content_id} of this user",
                               message_zh=f"该用户没有 {content_id} 的创作过程记录")
            change(row)
            s.commit()
            s.refresh(row)
            s.expunge(row)
            return row

    def set_keep(self, user_id: str, keep_until: dt.datetime | None, content_id: str | None = None) -> int:
        """The user's keep choice for one record or all of theirs (``None``: until they erase it);
        ``keep_until`` is outside the chain hash, so the choice may change. Returns the rows changed."""
        with self.db.session() as s:
            q = update(ProvenanceRecord).where(ProvenanceRecord.user_id == user_id)
            if content_id is not None:
                q = q.where(ProvenanceRecord.content_id == content_id)
            n = s.execute(q.values(keep_until=keep_until)).rowcount or 0
            s.commit()
        if content_id is not None and n == 0:
            raise NotFound(message_en=f"no provenance record for {content_id} of this user",
                           message_zh=f"该用户没有 {content_id} 的创作过程记录")
        return int(n)

    def expire(self, now: dt.datetime | None = None) -> int:
        """Erase the inputs of records kept past their ``keep_until`` (the chain entries stay)."""
        now = now or utcnow()
        with self.db.session() as s:
            n = s.execute(update(ProvenanceRecord)
                          .where(ProvenanceRecord.keep_until.is_not(None), ProvenanceRecord.keep_until < now,
                                 ProvenanceRecord.deleted_at.is_(None))
                          .values(inputs_enc=b"", deleted_at=now)).rowcount or 0
            s.commit()
        return int(n)

    def count(self) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(ProvenanceRecord)) or 0)
