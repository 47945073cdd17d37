"""Hashed n-gram features shared by training and inference (no sklearn, no torch at run time).

Text is normalised (NFKC, case folding, invisible characters dropped, whitespace collapsed), then
hashed into ``2**bits`` buckets: character n-grams (``char_min``..``char_max``; Han text has no
word boundaries) and word n-grams (1..``word_max``) over Latin/digit tokens. The hash is a fixed
64-bit FNV-style polynomial computed in numpy, so the same text always yields the same buckets on
every platform and Python version. Weighting: sublinear tf × idf, L2-normalised.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import asdict, dataclass

import numpy as np

_INVISIBLE = re.compile("[\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff\u00ad\u180e]")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9][a-z0-9']*")
_PRIME = np.uint64(0x100000001B3)
_MIX = np.uint64(0xFF51AFD7ED558CCD)
MAX_CHARS = 20_000  # longer texts are scored on their first MAX_CHARS characters


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """Hashing parameters; stored in the model header so inference matches training."""

    bits: int = 18
    char_min: int = 1
    char_max: int = 4
    word_max: int = 2

    @property
    def dim(self) -> int:
        return 1 << self.bits

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def normalize(text: str) -> str:
    """NFKC + case fold + drop invisible characters + collapse whitespace."""
    text = text[:MAX_CHARS].encode("utf-8", "replace").decode("utf-8")
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _INVISIBLE.sub("", text)
    return _SPACE.sub(" ", text).strip()


def _finish(h: np.ndarray, seed: int, mask: int) -> np.ndarray:
    h = h ^ np.uint64(seed)
    h = h ^ (h >> np.uint64(33))
    h = h * _MIX
    h = h ^ (h >> np.uint64(33))
    return (h & np.uint64(mask)).astype(np.int64)


def _ngrams(codes: np.ndarray, lo: int, hi: int, seed_base: int, mask: int) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    n_codes = codes.shape[0]
    for n in range(lo, hi + 1):
        if n_codes < n:
            break
        h = codes[: n_codes - n + 1].copy()
        for k in range(1, n):
            h = h * _PRIME ^ codes[k : n_codes - n + 1 + k]
        out.append(_finish(h, seed_base + n, mask))
    return out


def bucket_ids(text: str, cfg: FeatureConfig) -> np.ndarray:
    """All hashed n-gram bucket ids of ``text`` (with repetitions)."""
    norm = normalize(text)
    if not norm:
        return np.zeros(0, dtype=np.int64)
    mask = cfg.dim - 1
    chars = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    parts = _ngrams(chars, cfg.char_min, cfg.char_max, 0x100, mask)
    words = _WORD.findall(norm)
    if words and cfg.word_max > 0:
        wcodes = np.fromiter((zlib.crc32(w.encode()) for w in words), dtype=np.uint64, count=len(words))
        parts += _ngrams(wcodes, 1, cfg.word_max, 0x200, mask)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def vectorize(text: str, cfg: FeatureConfig, idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sparse feature vector as (bucket ids, values): sublinear tf × idf, L2-normalised."""
    ids = bucket_ids(text, cfg)
    if ids.size == 0:
        return ids, np.zeros(0, dtype=np.float32)
    uniq, counts = np.unique(ids, return_counts=True)
    vals = (1.0 + np.log(counts.astype(np.float32))) * idf[uniq]
    norm = float(np.sqrt(np.dot(vals, vals)))
    if norm > 0:
        vals = vals / norm
    return uniq, vals.astype(np.float32)
