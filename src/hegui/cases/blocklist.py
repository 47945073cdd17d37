"""Regeneration blocklist: keep taken-down content from being generated again.

Interim Measures Art 14 (stop generation, prevent recurrence) and the draft Regulation's rule that
regeneration is prevented for at least three months. Only fingerprints are stored: a normalised
exact hash, and the hashed character shingles of the text split into *distinctive* and
*boilerplate* ones (:mod:`hegui.cases.textprint`); images by perceptual hash (pHash) distance.

- A whole answer matches an item when it is the same text (exact hash), or when it reproduces
  most of the item's distinctive shingles (``near_threshold``).
- A stream is checked before each release by *containment*: the share of the text so far, less
  the item's boilerplate, that lies in the item's distinctive shingles, so a taken-down answer is
  cut near the start of its distinctive content instead of after it has been delivered.
- Both need at least ``min_distinctive_shingles`` shared distinctive shingles, so an answer that
  shares only a model's boilerplate with a taken-down one is not refused.

An entry is effective at once, in every process sharing the database: each generation request
checks the table's change stamp in the identity gate's transaction (:meth:`Blocklist.sync`).
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from dataclasses import dataclass, field

import imagehash
import numpy as np
from cryptography.exceptions import InvalidTag
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hegui.cases.config import BlocklistParams
from hegui.cases.models import BlocklistEntry
from hegui.cases.textprint import ShingleIndex, boilerplate_in, exact_hash, normalise, pack, shingle_hashes, unpack
from hegui.hooks import BlockHit
from hegui.identity.crypto import KeyRing
from hegui.storage.base import utcnow
from hegui.storage.db import Database
from hegui.storage.models import UsageContent, UsageRecord

Stamp = tuple[int, dt.datetime | None]


def phash(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as img:
        return str(imagehash.phash(img.convert("RGB")))


@dataclass(frozen=True)
class _Snapshot:
    """The active entries as loaded; replaced whole, so readers never see half a reload."""

    stamp: Stamp | None = None
    exact: dict[str, str] = field(default_factory=dict)
    index: ShingleIndex = field(default_factory=lambda: ShingleIndex([]))
    images: list[tuple[str, imagehash.ImageHash]] = field(default_factory=list)
    next_expiry: dt.datetime | None = None


class Blocklist:
    """Fingerprints of taken-down items, cached in memory and reloaded when the table changes."""

    def __init__(self, db: Database, params: BlocklistParams, label_strings: tuple[str, ...] = (),
                 *, keys: KeyRing | None = None, boilerplate: tuple[str, ...] = ()) -> None:
        self.db = db
        self.params = params
        self.strip = label_strings
        self.keys = keys  # opens recent answers to learn boilerplate from; without it only declared texts count
        declared = [shingle_hashes(normalise(t, label_strings), params.shingle) for t in boilerplate]
        self.declared = np.unique(np.concatenate(declared)) if declared else np.zeros(0, dtype=np.uint64)
        self._lock = threading.Lock()
        self._snap = _Snapshot()
        self._stale = True

    # -- writing ---------------------------------------------------------------------------
    def text_entry(self, text: str, source: str, takedown_id: str | None = None, *, session: Session | None = None,
                   exclude_record: str | None = None) -> BlocklistEntry:
        """An entry for ``text``; its boilerplate is learnt from recent answers read through
        ``session`` (or a session of its own), leaving out the record ``exclude_record``."""
        norm = normalise(text, self.strip)
        hashes = shingle_hashes(norm, self.params.shingle)
        boiler = np.intersect1d(hashes, self.declared, assume_unique=True)
        if self.keys is not None and len(hashes):
            if session is not None:
                learnt = self._learn(session, norm, hashes, exclude_record)
            else:
                with self.db.session() as s:
                    learnt = self._learn(s, norm, hashes, exclude_record)
            boiler = np.union1d(boiler, learnt)
        distinctive = np.setdiff1d(hashes, boiler, assume_unique=True)
        return BlocklistEntry(kind="text", exact_hash=exact_hash(norm), shingles=pack(distinctive, boiler),
                              takedown_id=takedown_id, source=source,
                              expires_at=utcnow() + dt.timedelta(days=self.params.expiry_days))

    def _learn(self, s: Session, norm: str, hashes: np.ndarray, exclude_record: str | None) -> np.ndarray:
        """Shingles of ``hashes`` found in ``boilerplate_min_answers`` distinct recent answers
        (copies of the item itself are not other answers)."""
        p = self.params
        q = (select(UsageContent.record_id, UsageContent.output_enc)
             .join(UsageRecord, UsageRecord.id == UsageContent.record_id)
             .where(UsageContent.output_enc.is_not(None)).order_by(UsageRecord.created_at.desc())
             .limit(p.boilerplate_sample))
        if exclude_record:
            q = q.where(UsageRecord.id != exclude_record)
        others: dict[str, np.ndarray] = {exact_hash(norm): hashes}
        for rid, blob in s.execute(q):
            try:
                other = normalise(self.keys.unseal(blob, rid.encode()).decode(), self.strip)
            except (InvalidTag, ValueError, UnicodeDecodeError):
                continue  # sealed under another key, or damaged: teaches nothing
            digest = exact_hash(other)
            if digest not in others:
                others[digest] = shingle_hashes(other, p.shingle)
        del others[exact_hash(norm)]
        return boilerplate_in(hashes, others.values(), p.boilerplate_min_answers)

    def image_entry(self, data: bytes, source: str, takedown_id: str | None = None) -> BlocklistEntry:
        return BlocklistEntry(kind="image", phash=phash(data), takedown_id=takedown_id, source=source,
                              expires_at=utcnow() + dt.timedelta(days=self.params.expiry_days))

    def invalidate(self) -> None:
        self._stale = True

    # -- loading ---------------------------------------------------------------------------
    def sync(self, s: Session) -> None:
        """Reload if the table changed since the last load (one aggregate query). Called once per
        generation request, so a takedown committed by any process applies to the next request."""
        stamp = table_stamp(s)
        snap = self._snap
        if self._stale or stamp != snap.stamp or _expired(snap):
            self._load(s, stamp)

    def _ensure(self) -> _Snapshot:
        snap = self._snap
        if self._stale or _expired(snap):
            with self.db.session() as s:
                self._load(s, table_stamp(s))
            snap = self._snap
        return snap

    def _load(self, s: Session, stamp: Stamp) -> None:
        with self._lock:
            if not self._stale and self._snap.stamp == stamp and not _expired(self._snap):
                return  # another request reloaded it meanwhile
            self._stale = False  # an invalidate() from now on triggers the next load
            rows = active_entries(s)
            exact, items, images = {}, [], []
            for r in rows:
                if r.kind == "text":
                    exact[r.exact_hash] = r.id
                    distinctive, boiler = unpack(r.shingles)
                    if len(distinctive) or len(boiler):
                        items.append((r.id, distinctive, boiler))
                elif r.phash:
                    images.append((r.id, imagehash.hex_to_hash(r.phash)))
            expiry = min((_aware(r.expires_at) for r in rows), default=None)
            self._snap = _Snapshot(stamp, exact, ShingleIndex(items), images, expiry)

    # -- matching --------------------------------------------------------------------------
    def match_text(self, text: str) -> BlockHit | None:
        """A whole answer: the same text, or most of an item's distinctive content reproduced."""
        snap = self._ensure()
        if not snap.exact:
            return None
        norm = normalise(text, self.strip)
        if not norm:
            return None
        hit = snap.exact.get(exact_hash(norm))
        if hit:
            return BlockHit(hit, "exact", 1.0)
        distinct, _ = snap.index.overlap(shingle_hashes(norm, self.params.shingle))
        if not len(distinct):
            return None
        share = np.where(distinct >= self.params.min_distinctive_shingles,
                         distinct / np.maximum(snap.index.n_distinctive, 1), 0.0)
        best = int(np.argmax(share))
        if share[best] >= self.params.near_threshold:
            return BlockHit(snap.index.ids[best], "near", round(float(share[best]), 4))
        return None

    def match_partial(self, text: str) -> BlockHit | None:
        """A stream so far: blocked when, less an item's boilerplate, it lies mostly inside the item."""
        snap = self._ensure()
        if not snap.index:
            return None
        norm = normalise(text, self.strip)
        if len(norm) < self.params.containment_min_chars:
            return None
        query = shingle_hashes(norm, self.params.shingle)
        distinct, boiler = snap.index.overlap(query)
        own = np.maximum(len(query) - boiler, 1)  # the query's shingles that are not the item's boilerplate
        share = np.where(distinct >= self.params.min_distinctive_shingles, distinct / own, 0.0)
        best = int(np.argmax(share))
        if share[best] >= self.params.containment_threshold:
            return BlockHit(snap.index.ids[best], "contained", round(float(share[best]), 4))
        return None

    def match_image(self, data: bytes) -> BlockHit | None:
        snap = self._ensure()
        if not snap.images:
            return None
        try:
            h = imagehash.hex_to_hash(phash(data))
        except OSError:
            return None
        best = min(((h - other, eid) for eid, other in snap.images), default=None)
        if best and best[0] <= self.params.phash_max_distance:
            return BlockHit(best[1], "near" if best[0] else "exact", round(1 - best[0] / 64, 4))
        return None


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _expired(snap: _Snapshot) -> bool:
    return snap.next_expiry is not None and _aware(utcnow()) >= snap.next_expiry


def table_stamp(s: Session) -> Stamp:
    """Changes when an entry is added or deactivated: (active entries, newest creation time)."""
    count, newest = s.execute(select(func.count(), func.max(BlocklistEntry.created_at))
                              .where(BlocklistEntry.active.is_(True))).one()
    return int(count), newest


def active_entries(s: Session) -> list[BlocklistEntry]:
    now = utcnow()
    return list(s.scalars(select(BlocklistEntry).where(BlocklistEntry.active.is_(True),
                                                         BlocklistEntry.expires_at > now)))
