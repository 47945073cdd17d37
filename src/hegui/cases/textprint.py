"""Text fingerprints of the regeneration blocklist: normalised text, hashed character shingles,
and the split of a taken-down answer into *distinctive* and *boilerplate* shingles.

Answers of one model share boilerplate — the explicit text label (GB 45438 §5.1), a standard
opening, a disclaimer, a demo model's template — so two unrelated answers can share most of
their text. A taken-down answer is therefore matched on its distinctive shingles only: those that
are not in a declared boilerplate text and do not occur in several other recent answers
(Interim Measures Art 14: prevent recurrence of *that* content, not of every answer).
"""

from __future__ import annotations

import hashlib
import struct
import unicodedata
from collections.abc import Iterable

import numpy as np

from hegui.labeling.text import TextLabel

V2_MAGIC = b"HGB2"  # stored shingles: magic, uint32 count of distinctive hashes, distinctive, boilerplate
_EMPTY = np.zeros(0, dtype=np.uint64)


def label_strings(*configured: str) -> tuple[str, ...]:
    """Label texts removed before fingerprinting: the configured ones and the shipped defaults
    (records labelled under earlier settings still match)."""
    default = TextLabel()
    return tuple(dict.fromkeys(s for s in (*configured, default.prefix, default.suffix) if s))


def normalise(text: str, strip: tuple[str, ...] = ()) -> str:
    """NFKC, case-folded, label notices removed, only letters and digits kept."""
    for s in strip:
        if s:
            text = text.replace(s, "")
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def exact_hash(norm: str) -> str:
    return hashlib.sha256(norm.encode()).hexdigest()


def shingle_hashes(norm: str, k: int) -> np.ndarray:
    """Sorted unique 64-bit hashes of the ``k``-character shingles of a normalised text."""
    if not norm:
        return _EMPTY
    parts = [norm] if len(norm) <= k else [norm[i:i + k] for i in range(len(norm) - k + 1)]
    digests = b"".join(hashlib.blake2b(p.encode(), digest_size=8).digest() for p in parts)
    return np.unique(np.frombuffer(digests, dtype=np.uint64))


def boilerplate_in(item: np.ndarray, others: Iterable[np.ndarray], min_answers: int) -> np.ndarray:
    """The shingles of ``item`` found in at least ``min_answers`` of ``others`` (distinct answers)."""
    counts = np.zeros(len(item), dtype=np.int64)
    for other in others:
        counts += np.isin(item, other, assume_unique=True)
    return item[counts >= min_answers]


def pack(distinctive: np.ndarray, boilerplate: np.ndarray) -> bytes:
    return V2_MAGIC + struct.pack("<I", len(distinctive)) + distinctive.tobytes() + boilerplate.tobytes()


def unpack(blob: bytes | None) -> tuple[np.ndarray, np.ndarray]:
    """(distinctive, boilerplate); an entry stored before the split counts as all distinctive."""
    if not blob:
        return _EMPTY, _EMPTY
    if blob.startswith(V2_MAGIC) and (len(blob) - 8) % 8 == 0:
        (n,) = struct.unpack("<I", blob[4:8])
        hashes = np.frombuffer(blob[8:], dtype=np.uint64)
        return hashes[:n], hashes[n:]
    return np.frombuffer(blob, dtype=np.uint64), _EMPTY


class ShingleIndex:
    """Inverted index from shingle hash to the blocked items holding it, distinctive or boilerplate."""

    def __init__(self, items: list[tuple[str, np.ndarray, np.ndarray]]) -> None:
        self.ids = [eid for eid, _, _ in items]
        self.n_distinctive = np.array([len(d) for _, d, _ in items], dtype=np.int64)
        parts = [(h, i, flag) for i, (_, d, b) in enumerate(items) for h, flag in ((d, 1), (b, 0)) if len(h)]
        hashes = np.concatenate([h for h, _, _ in parts]) if parts else _EMPTY
        owners = np.concatenate([np.full(len(h), i, dtype=np.int64) for h, i, _ in parts]) if parts \
            else np.zeros(0, dtype=np.int64)
        flags = np.concatenate([np.full(len(h), f, dtype=np.int64) for h, _, f in parts]) if parts \
            else np.zeros(0, dtype=np.int64)
        order = np.argsort(hashes, kind="stable")
        self.hashes, self.owners, self.flags = hashes[order], owners[order], flags[order]

    def __bool__(self) -> bool:
        return bool(self.ids)

    def overlap(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per item: how many of ``query``'s shingles are its distinctive ones, and its boilerplate."""
        n = len(self.ids)
        if not n or not len(query):
            return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
        left = np.searchsorted(self.hashes, query, "left")
        lens = np.searchsorted(self.hashes, query, "right") - left
        total = int(lens.sum())
        if not total:
            return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
        # every (query hash, owning item) pair, without a Python loop
        idx = np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens) + np.repeat(left, lens)
        owners, flags = self.owners[idx], self.flags[idx]
        distinct = np.bincount(owners, weights=flags, minlength=n).astype(np.int64)
        return distinct, np.bincount(owners, minlength=n).astype(np.int64) - distinct
