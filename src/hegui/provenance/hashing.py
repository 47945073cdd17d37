"""Fingerprints for copy detection (issue 15; draft AIGC Regulation Arts 4–5, 15).

Text: the normalised text (:func:`hegui.corpus.fingerprint.normalise`), its character ``n``-grams
hashed to uint64 (BLAKE2b-8, stable across processes) and its MinHash signature
(:func:`hegui.corpus.fingerprint.minhash`). Images: 64-bit pHash and dHash (``imagehash``) of the
image decoded with a pixel cap (decompression bombs are refused). Thresholds are data:
``hegui/data/provenance/thresholds.yaml``, measured by ``bench/provenance/copies.py``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import yaml

from hegui.corpus.fingerprint import MAX_CHARS, NUM_PERM, minhash, normalise
from hegui.errors import ValidationFailed

MAX_PIXELS = 40_000_000  # decoded image size cap (the labelling pipeline's order of magnitude)
THRESHOLDS = "thresholds.yaml"
REQUIRED = {"text": ("ngram", "verbatim_run_chars", "verbatim_share", "min_chars", "minhash_jaccard"),
            "image": ("phash_max_distance", "dhash_max_distance"),
            "search": ("text_min_jaccard", "image_max_distance")}


@cache
def thresholds() -> dict[str, Any]:
    """The versioned thresholds (``hegui/data/provenance/thresholds.yaml``)."""
    path = resources.files("hegui.data") / "provenance" / THRESHOLDS
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for section, keys in REQUIRED.items():
        values = data.get(section) if isinstance(data, dict) else None
        if not isinstance(values, dict):
            raise ValidationFailed(detail=f"{path}:1: '{section}' mapping missing / 缺少 '{section}' 段")
        for key in keys:
            v = values.get(key)
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
                raise ValidationFailed(detail=f"{path}: {section}.{key} must be a number >= 0 / 须为非负数, got {v!r}")
    return data


def ngram_hashes(norm: str, n: int | None = None) -> np.ndarray:
    """uint64 hashes of the character ``n``-grams of an already normalised text, in text order."""
    n = n or int(thresholds()["text"]["ngram"])
    norm = norm[:MAX_CHARS]
    if len(norm) < n:
        return np.zeros(0, dtype=np.uint64)
    b2 = hashlib.blake2b
    vals = [int.from_bytes(b2(norm[i:i + n].encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")
            for i in range(len(norm) - n + 1)]
    return np.asarray(vals, dtype=np.uint64)


def pack_ngrams(hashes: np.ndarray) -> bytes:
    return np.unique(hashes).astype("<u8").tobytes()


def unpack_ngrams(blob: bytes | None) -> np.ndarray:
    return np.frombuffer(blob or b"", dtype="<u8").astype(np.uint64)


def pack_minhash(sig: list[int] | None) -> bytes | None:
    return None if sig is None else np.asarray(sig, dtype="<u4").tobytes()


def unpack_minhash(blob: bytes | None) -> np.ndarray | None:
    if not blob or len(blob) != NUM_PERM * 4:
        return None
    return np.frombuffer(blob, dtype="<u4").astype(np.uint32)


@dataclass(frozen=True, slots=True)
class TextPrint:
    norm: str
    ngrams: np.ndarray  # in text order
    minhash: list[int] | None


def text_print(text: str) -> TextPrint:
    norm = normalise(text)
    return TextPrint(norm=norm, ngrams=ngram_hashes(norm), minhash=minhash(text))


def decode_image(data: bytes, *, max_pixels: int = MAX_PIXELS) -> Any:
    """An RGB Pillow image; a clear error for a non-image, a truncated image or a bomb."""
    from hegui.labeling.explicit.media import open_image

    return open_image(data, max_pixels=max_pixels).image.convert("RGB")


def image_hashes(data: bytes) -> tuple[str, str]:
    """``(phash_hex, dhash_hex)`` — 16 hex digits each."""
    import imagehash

    img = decode_image(data)
    return str(imagehash.phash(img)), str(imagehash.dhash(img))


def pack_image_hash(phash_hex: str, dhash_hex: str) -> str:
    """What the ``phash`` column holds: ``<phash>:<dhash>``."""
    return f"{phash_hex}:{dhash_hex}"


def unpack_image_hash(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    p, _, d = value.partition(":")
    try:
        return int(p, 16), int(d or p, 16)
    except ValueError:
        return None


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def hamming_many(values: np.ndarray, target: int) -> np.ndarray:
    """Hamming distances of a uint64 array to one 64-bit value (a linear scan, ~1 ms per 100k)."""
    x = np.bitwise_xor(values, np.uint64(target))
    return np.unpackbits(x.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)


def longest_run(mask: np.ndarray) -> int:
    """Length of the longest run of True in a boolean array."""
    if mask.size == 0 or not mask.any():
        return 0
    padded = np.concatenate(([0], mask.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[0::2]).max())
