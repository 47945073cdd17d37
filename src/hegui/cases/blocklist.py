"""Regeneration blocklist: keep taken-down content from being generated again.

Interim Measures Art 14 (stop generation, prevent recurrence) and the draft Regulation's rule that
regeneration is prevented for at least three months. Text is matched by a normalised exact hash and
as a near-duplicate (MinHash estimate of Jaccard similarity over character shingles, and SimHash
Hamming distance); images by perceptual hash (pHash) distance. Only fingerprints are stored.

A stream is checked before each release by *containment*: the share of the text generated so far
whose shingles lie in a blocked item (an inverted index over hashed shingles), so a taken-down
answer is cut near its start instead of after it has been delivered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import threading
import time
import unicodedata

import imagehash
import numpy as np
from datasketch import MinHash
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.cases.config import BlocklistParams
from hegui.cases.models import BlocklistEntry
from hegui.hooks import BlockHit
from hegui.storage.base import utcnow
from hegui.storage.db import Database

RELOAD_SECONDS = 5.0


def normalise(text: str, strip: tuple[str, ...] = ()) -> str:
    """NFKC, case-folded, label notices removed, only letters and digits kept."""
    for s in strip:
        if s:
            text = text.replace(s, "")
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def shingles(norm: str, k: int) -> set[bytes]:
    if len(norm) <= k:
        return {norm.encode()}
    return {norm[i:i + k].encode() for i in range(len(norm) - k + 1)}


def minhash(norm: str, params: BlocklistParams) -> np.ndarray:
    m = MinHash(num_perm=params.minhash_perm, seed=7)
    m.update_batch(list(shingles(norm, params.shingle)))
    return m.hashvalues.astype(np.uint64)


def simhash(norm: str, k: int) -> int:
    """64-bit SimHash over character shingles (Charikar 2002)."""
    digests = b"".join(hashlib.blake2b(sh, digest_size=8).digest() for sh in shingles(norm, k))
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8)).reshape(-1, 64).astype(np.int64)
    votes = (2 * bits - 1).sum(axis=0)
    return int("".join("1" if v > 0 else "0" for v in votes), 2)


def shingle_hashes(norm: str, k: int) -> np.ndarray:
    """Sorted unique 64-bit hashes of the shingles (containment needs sets, not MinHash)."""
    digests = b"".join(hashlib.blake2b(sh, digest_size=8).digest() for sh in shingles(norm, k))
    return np.unique(np.frombuffer(digests, dtype=np.uint64))


def exact_hash(norm: str) -> str:
    return hashlib.sha256(norm.encode()).hexdigest()


def phash(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as img:
        return str(imagehash.phash(img.convert("RGB")))


class Blocklist:
    """Fingerprints of taken-down items, cached in memory and reloaded when changed."""

    def __init__(self, db: Database, params: BlocklistParams, label_strings: tuple[str, ...] = ()) -> None:
        self.db = db
        self.params = params
        self.strip = label_strings
        self._lock = threading.Lock()
        self._loaded_at = 0.0
        self._exact: dict[str, str] = {}
        self._ids: list[str] = []
        self._simarr: np.ndarray = np.zeros(0, dtype=np.uint64)
        self._sigs: np.ndarray = np.zeros((0, params.minhash_perm), dtype=np.uint64)
        self._images: list[tuple[str, imagehash.ImageHash]] = []
        self._index = ShingleIndex([])

    # -- writing ---------------------------------------------------------------------------
    def text_entry(self, text: str, source: str, takedown_id: str | None = None) -> BlocklistEntry:
        norm = normalise(text, self.strip)
        return BlocklistEntry(kind="text", exact_hash=exact_hash(norm), simhash=f"{simhash(norm, self.params.shingle):016x}",
                              minhash=minhash(norm, self.params).tobytes(),
                              shingles=shingle_hashes(norm, self.params.shingle).tobytes(),
                              takedown_id=takedown_id, source=source,
                              expires_at=utcnow() + dt.timedelta(days=self.params.expiry_days))

    def image_entry(self, data: bytes, source: str, takedown_id: str | None = None) -> BlocklistEntry:
        return BlocklistEntry(kind="image", phash=phash(data), takedown_id=takedown_id, source=source,
                              expires_at=utcnow() + dt.timedelta(days=self.params.expiry_days))

    def invalidate(self) -> None:
        self._loaded_at = 0.0

    # -- matching --------------------------------------------------------------------------
    def _refresh(self) -> None:
        if time.monotonic() - self._loaded_at < RELOAD_SECONDS:
            return
        with self._lock:
            if time.monotonic() - self._loaded_at < RELOAD_SECONDS:
                return
            with self.db.session() as s:
                rows = active_entries(s)
            exact, ids, sims, sigs, images, sets = {}, [], [], [], [], []
            for r in rows:
                if r.kind == "text":
                    exact[r.exact_hash] = r.id
                    ids.append(r.id)
                    sims.append(int(r.simhash, 16))
                    sigs.append(np.frombuffer(r.minhash, dtype=np.uint64))
                    if r.shingles:
                        sets.append((r.id, np.frombuffer(r.shingles, dtype=np.uint64)))
                elif r.phash:
                    images.append((r.id, imagehash.hex_to_hash(r.phash)))
            self._exact, self._ids, self._images = exact, ids, images
            self._index = ShingleIndex(sets)
            self._simarr = np.array(sims, dtype=np.uint64)
            self._sigs = np.vstack(sigs) if sigs else np.zeros((0, self.params.minhash_perm), dtype=np.uint64)
            self._loaded_at = time.monotonic()

    def match_text(self, text: str) -> BlockHit | None:
        self._refresh()
        if not self._ids:
            return None
        norm = normalise(text, self.strip)
        if not norm:
            return None
        hit = self._exact.get(exact_hash(norm))
        if hit:
            return BlockHit(hit, "exact", 1.0)
        sig = minhash(norm, self.params)
        if self._sigs.shape[1] == sig.shape[0]:
            sims = (self._sigs == sig).mean(axis=1)
            best = int(np.argmax(sims))
            if sims[best] >= self.params.minhash_threshold:
                return BlockHit(self._ids[best], "near", round(float(sims[best]), 4))
        dists = np.bitwise_count(self._simarr ^ np.uint64(simhash(norm, self.params.shingle)))
        best = int(np.argmin(dists))
        if dists[best] <= self.params.simhash_max_distance:
            return BlockHit(self._ids[best], "near", round(1 - int(dists[best]) / 64, 4))
        return None

    def match_partial(self, text: str) -> BlockHit | None:
        """A stream so far: blocked when enough of it lies inside one blocked item."""
        self._refresh()
        if not self._index:
            return None
        norm = normalise(text, self.strip)
        if len(norm) < self.params.containment_min_chars:
            return None
        best = self._index.best(shingle_hashes(norm, self.params.shingle))
        if best and best[1] >= self.params.containment_threshold:
            return BlockHit(best[0], "contained", round(best[1], 4))
        return None

    def match_image(self, data: bytes) -> BlockHit | None:
        self._refresh()
        if not self._images:
            return None
        try:
            h = imagehash.hex_to_hash(phash(data))
        except OSError:
            return None
        best = min(((h - other, eid) for eid, other in self._images), default=None)
        if best and best[0] <= self.params.phash_max_distance:
            return BlockHit(best[1], "near" if best[0] else "exact", round(1 - best[0] / 64, 4))
        return None


class ShingleIndex:
    """Inverted index from shingle hash to the blocked items that contain it."""

    def __init__(self, sets: list[tuple[str, np.ndarray]]) -> None:
        self.ids = [eid for eid, _ in sets]
        hashes = np.concatenate([h for _, h in sets]) if sets else np.zeros(0, dtype=np.uint64)
        owners = np.concatenate([np.full(len(h), i, dtype=np.int64) for i, (_, h) in enumerate(sets)]) \
            if sets else np.zeros(0, dtype=np.int64)
        order = np.argsort(hashes, kind="stable")
        self.hashes, self.owners = hashes[order], owners[order]

    def __bool__(self) -> bool:
        return bool(self.ids)

    def best(self, query: np.ndarray) -> tuple[str, float] | None:
        """(item id, share of ``query`` found in it) for the item containing the most of it."""
        if not self.ids or not len(query):
            return None
        left = np.searchsorted(self.hashes, query, "left")
        lens = np.searchsorted(self.hashes, query, "right") - left
        total = int(lens.sum())
        if not total:
            return None
        # every (query hash, owning item) pair, without a Python loop
        idx = np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens) + np.repeat(left, lens)
        counts = np.bincount(self.owners[idx], minlength=len(self.ids))
        i = int(np.argmax(counts))
        return self.ids[i], float(counts[i]) / len(query)


def active_entries(s: Session) -> list[BlocklistEntry]:
    now = utcnow()
    return list(s.scalars(select(BlocklistEntry).where(BlocklistEntry.active.is_(True),
                                                         BlocklistEntry.expires_at > now)))
