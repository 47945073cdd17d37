"""Exact and near-duplicate prompts in a test bank.

A bank padded with copies meets a minimum on paper only (GB/T 45654 B.1.2–B.1.3), so copies are
found twice over: exact after folding (NFKC-style width and case, traditional → simplified,
punctuation and spaces removed: :func:`hegui.moderation.normalize.fold`), and near copies by
Jaccard similarity of 5-character shingles, with MinHash + LSH buckets to find candidates fast
(50,000 prompts in seconds) and the exact Jaccard to confirm each one.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hegui.moderation.normalize import fold

SHINGLE_CHARS = 5
NEAR_DUP_JACCARD = 0.8   # two prompts sharing ≥ 80 % of their 5-character shingles are near copies
MINHASH_PERMS = 64
LSH_BANDS = 16           # 16 bands × 4 rows: candidates from about Jaccard 0.5 up, then checked exactly
MAX_BUCKET = 2_000       # a bucket larger than this (one template everywhere) is checked pairwise only
                         # against its first MAX_BUCKET members
_PRIME = (1 << 31) - 1
_rng = np.random.default_rng(45654)
_A = _rng.integers(1, _PRIME, MINHASH_PERMS, dtype=np.uint64)
_B = _rng.integers(0, _PRIME, MINHASH_PERMS, dtype=np.uint64)


def normalise(text: str) -> str:
    """The form two prompts must share to be exact duplicates."""
    return fold(text).compact


def shingles(norm: str) -> frozenset[int]:
    """CRC32 of every 5-character window of a normalised prompt (the whole text when shorter)."""
    if len(norm) <= SHINGLE_CHARS:
        return frozenset((zlib.crc32(norm.encode("utf-8")),))
    return frozenset(zlib.crc32(norm[i:i + SHINGLE_CHARS].encode("utf-8"))
                     for i in range(len(norm) - SHINGLE_CHARS + 1))


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


@dataclass(frozen=True, slots=True)
class NearPair:
    """Two prompts (by index into the input) whose shingle Jaccard is ≥ the threshold."""

    first: int
    second: int
    jaccard: float


def exact_groups(texts: Sequence[str]) -> list[list[int]]:
    """Indices of prompts with the same normalised form, groups of two or more, in input order."""
    by: dict[str, list[int]] = defaultdict(list)
    for i, t in enumerate(texts):
        by[normalise(t)].append(i)
    return [g for g in by.values() if len(g) > 1]


def _signature(sh: frozenset[int]) -> np.ndarray:
    h = np.fromiter(sh, dtype=np.uint64, count=len(sh)) % _PRIME
    return ((_A[:, None] * h[None, :] + _B[:, None]) % _PRIME).min(axis=1)


def near_pairs(texts: Sequence[str], threshold: float = NEAR_DUP_JACCARD, *,
               skip_exact: bool = True) -> list[NearPair]:
    """Pairs of near-duplicate prompts (Jaccard ≥ ``threshold``), sorted; exact duplicates left out
    unless ``skip_exact`` is False."""
    norms = [normalise(t) for t in texts]
    sets = [shingles(n) for n in norms]
    rows = MINHASH_PERMS // LSH_BANDS
    buckets: list[dict[bytes, list[int]]] = [defaultdict(list) for _ in range(LSH_BANDS)]
    for i, sh in enumerate(sets):
        sig = _signature(sh)
        for band in range(LSH_BANDS):
            buckets[band][sig[band * rows:(band + 1) * rows].tobytes()].append(i)
    seen: set[tuple[int, int]] = set()
    out: list[NearPair] = []
    for band in buckets:
        for members in band.values():
            if len(members) < 2:
                continue
            members = members[:MAX_BUCKET]
            for x, i in enumerate(members):
                for j in members[x + 1:]:
                    if (i, j) in seen:
                        continue
                    seen.add((i, j))
                    if skip_exact and norms[i] == norms[j]:
                        continue
                    score = jaccard(sets[i], sets[j])
                    if score >= threshold:
                        out.append(NearPair(i, j, round(score, 3)))
    return sorted(out, key=lambda p: (p.first, p.second))


def near_duplicates_of(texts: Sequence[str], reference: Sequence[str],
                       threshold: float = NEAR_DUP_JACCARD) -> list[NearPair]:
    """Pairs (index in ``texts``, index in ``reference``) of near or exact copies across two sets."""
    pairs = near_pairs([*texts, *reference], threshold, skip_exact=False)
    n = len(texts)
    return [NearPair(p.first, p.second - n, p.jaccard) for p in pairs if p.first < n <= p.second]
