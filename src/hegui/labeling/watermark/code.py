"""Payload coding: 64-bit payload → Reed–Solomon codeword → scrambled bits, and back."""

from __future__ import annotations

import hashlib

import numpy as np
from reedsolo import ReedSolomonError, RSCodec

PAYLOAD_BYTES = 8
PARITY_BYTES = 16  # corrects up to 8 wrong bytes of the 24-byte codeword
CODE_BITS = (PAYLOAD_BYTES + PARITY_BYTES) * 8
_RS = RSCodec(PARITY_BYTES)


def payload_bytes(payload: int | bytes) -> bytes:
    if isinstance(payload, bytes):
        if len(payload) != PAYLOAD_BYTES:
            raise ValueError(f"payload must be {PAYLOAD_BYTES} bytes, got {len(payload)}")
        return payload
    if not 0 <= payload < 1 << 64:
        raise ValueError("payload must be an unsigned 64-bit integer")
    return payload.to_bytes(PAYLOAD_BYTES, "big")


def _scrambler(key: bytes) -> np.ndarray:
    seed = hashlib.sha256(b"scramble:" + key).digest()
    bits = np.unpackbits(np.frombuffer(hashlib.shake_256(seed).digest(CODE_BITS // 8), dtype=np.uint8))
    return bits.astype(np.int8)


def encode(payload: int | bytes, key: bytes) -> np.ndarray:
    """Codeword bits (0/1, length ``CODE_BITS``), XOR-scrambled with a key stream."""
    word = bytes(_RS.encode(payload_bytes(payload)))
    bits = np.unpackbits(np.frombuffer(word, dtype=np.uint8)).astype(np.int8)
    return bits ^ _scrambler(key)


def decode(soft: np.ndarray, key: bytes, *, max_erasures: int = 8) -> tuple[bytes | None, bytes, int]:
    """(corrected payload or None, raw systematic payload bytes, corrected byte errors or -1).

    ``soft`` holds one real value per code bit (sign = bit). Decoding first tries errors only, then
    marks the least reliable bytes as erasures (2, 4, … ``max_erasures``): Reed–Solomon corrects
    ``e`` errors and ``f`` erasures while ``2e + f <= 16``. Up to 8 erasures the chance that an
    unmarked image decodes by accident stays below 1e-6 per attempt.
    """
    scr = _scrambler(key)
    plain = ((soft > 0).astype(np.int8) ^ scr).astype(np.uint8)
    word = np.packbits(plain).tobytes()
    raw = word[:PAYLOAD_BYTES]
    reliability = np.abs(soft).reshape(-1, 8).min(axis=1)
    order = [int(i) for i in np.argsort(reliability)]
    for n in range(0, max_erasures + 1, 2):
        try:
            msg, _, errata = _RS.decode(word, erase_pos=order[:n] or None)
        except ReedSolomonError:
            continue
        return bytes(msg), raw, len(errata)
    return None, raw, -1
