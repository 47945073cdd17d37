"""Content fingerprints: an exact hash of the normalised text and a MinHash signature.

GB/T 45654 §5 (training-data quality: duplicates) and the rights holders' opt-outs: the same
functions fingerprint corpus records (:class:`hegui.corpus.steps.FingerprintStep`) and the sample
texts a requester supplies (:mod:`hegui.corpus.optout`), so a request matches copies of its text.

Deterministic in every process: NFKC + whitespace folding, SHA-256, and datasketch's MinHash with a
fixed seed over character 5-shingles hashed with SHA-1 (never Python's salted ``hash``).
"""

from __future__ import annotations

import hashlib
import operator
import re
import struct
import unicodedata
from collections.abc import Sequence
from functools import cache

from datasketch import MinHash

NUM_PERM = 128
SHINGLE = 5
SEED = 1  # datasketch's default; named so every caller uses the same permutations
SCHEME = "affine32"  # datasketch >= 2: pinned, so a signature never changes meaning under an upgrade
MAX_CHARS = 200_000  # a longer text is signed on its first MAX_CHARS normalised characters (bounded work)
_WS = re.compile(r"\s+")
_U32 = struct.Struct("<I").unpack_from


def normalise(text: str) -> str:
    """NFKC, case-folded, every run of whitespace one space, stripped."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def content_hash(text: str) -> str:
    """``sha256:<hex>`` of :func:`normalise` — the exact-duplicate and opt-out hash."""
    return "sha256:" + hashlib.sha256(normalise(text).encode("utf-8", "surrogatepass")).hexdigest()


def shingles(norm: str, k: int = SHINGLE) -> set[bytes]:
    """Character ``k``-shingles of an already normalised text (the whole text when shorter)."""
    norm = norm[:MAX_CHARS]
    if not norm:
        return set()
    if len(norm) <= k:
        return {norm.encode("utf-8", "surrogatepass")}
    return {norm[i:i + k].encode("utf-8", "surrogatepass") for i in range(len(norm) - k + 1)}


def minhash(text: str) -> list[int] | None:
    """The MinHash signature (``NUM_PERM`` ints) of ``text``; None for an empty text."""
    norm = normalise(text)[:MAX_CHARS]
    if not norm:
        return None
    k = SHINGLE
    distinct = {norm} if len(norm) <= k else {norm[i:i + k] for i in range(len(norm) - k + 1)}
    sha1, u32 = hashlib.sha1, _U32
    # datasketch's sha1_hash32 (first 4 bytes of SHA-1, little-endian) of each shingle's UTF-8, in one
    # comprehension; MinHash then applies its permutations to these values (identity hashfunc)
    values = [u32(sha1(s.encode("utf-8", "surrogatepass")).digest())[0] for s in distinct]
    m = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, permutations=_permutations(), hashfunc=operator.index)
    m.update_batch(values)  # an element-wise minimum: the order of the shingles does not matter
    return m.hashvalues.tolist()


@cache
def _permutations() -> object:
    """The seeded permutations, drawn once per process (the same as every new ``MinHash(seed=SEED)``)."""
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


def to_minhash(signature: Sequence[int]) -> MinHash:
    """A datasketch MinHash from a stored signature (no re-hashing)."""
    import numpy as np

    if len(signature) != NUM_PERM:
        raise ValueError(f"signature has {len(signature)} values, expected {NUM_PERM}")
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME,
                   hashvalues=np.asarray(signature, dtype=np.uint32))


def jaccard(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard similarity of two stored signatures."""
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / NUM_PERM
