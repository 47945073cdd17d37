"""Payload coding of the audio watermark (GB 45438-2025 Annex A.2): a 16-bit payload — the top 16 bits
of the image watermark's 64-bit ``payload_for_content_id`` — through the same tail-biting
convolutional code (rate 1/3, K = 7, soft Viterbi, ``watermark/code.py``) to 48 keyed-scrambled code bits,
followed by 16 keyed pilot symbols that find the frequency scale.

Why 16 bits and not 64: the mark lives in the long-term spectrum (see ``audio_dsp``), which offers
about 140 chips; at SNR ≥ 30 dB only a few chips per code bit reach a usable margin (measured in
``docs/audio-watermark.md``). 16 bits is also what AudioSeal carries.

"Found" is a statistical test as for images: the cosine between the decoded codeword (±1) and the
soft values, with a union bound over the 2^16 codewords and every scale searched.
"""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache

import numpy as np

from hegui.labeling.watermark.code import RATE_INV, conv_encode, viterbi

PAYLOAD_BITS = 16
CODE_BITS = PAYLOAD_BITS * RATE_INV  # 48
#: known keyed ±1 symbols written next to the code: they find the frequency scale and join the test
PILOT_BITS = 16
SYMBOLS = CODE_BITS + PILOT_BITS  # 64
#: a detection counts as found when the false-alarm bound over all scales is below this
MAX_FALSE_ALARM = 1e-6
#: soft values are clipped at this multiple of their median magnitude
CLIP = 1.5


def short_payload(payload64: int) -> int:
    """The 16 bits the audio mark carries: the top 16 of the 64-bit content payload."""
    return (payload64 >> 48) & 0xFFFF


@lru_cache(maxsize=8)
def scrambler(key: bytes) -> np.ndarray:
    d = hashlib.shake_256(b"hegui-audio-scramble:" + key).digest(CODE_BITS // 8)
    return np.unpackbits(np.frombuffer(d, dtype=np.uint8)).astype(np.int8)


@lru_cache(maxsize=8)
def pilot(key: bytes) -> np.ndarray:
    d = hashlib.shake_256(b"hegui-audio-pilot:" + key).digest(PILOT_BITS // 8)
    return 2.0 * np.unpackbits(np.frombuffer(d, dtype=np.uint8)).astype(np.float64) - 1.0


def encode(payload: int, key: bytes) -> np.ndarray:
    """±1 symbols (length ``SYMBOLS``): the scrambled codeword of a 16-bit payload, then the pilot."""
    if not 0 <= payload < 1 << PAYLOAD_BITS:
        raise ValueError("payload must be an unsigned 16-bit integer")
    bits = np.array([(payload >> (PAYLOAD_BITS - 1 - i)) & 1 for i in range(PAYLOAD_BITS)], dtype=np.int8)
    return np.concatenate([2.0 * (conv_encode(bits) ^ scrambler(key)).astype(np.float64) - 1.0, pilot(key)])


def decode(soft: np.ndarray, key: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Batch decode (B, SYMBOLS) soft values → (payloads (B,), cosine scores (B,)); the score is the
    cosine between the soft values and the whole expected symbol vector (codeword and pilot)."""
    s = np.atleast_2d(np.nan_to_num(np.asarray(soft, dtype=np.float64))).copy()
    # clip each row at CLIP × its median magnitude: the host's large chips must not dominate the cosine
    med = np.median(np.abs(s), axis=1, keepdims=True)
    s = np.clip(s, -CLIP * med, CLIP * med)
    s[:, :CODE_BITS] = np.where(scrambler(key) > 0, -s[:, :CODE_BITS], s[:, :CODE_BITS])
    s[:, CODE_BITS:] *= pilot(key)
    bits = np.atleast_2d(viterbi(s[:, :CODE_BITS].astype(np.float32)))
    codes = np.stack([np.concatenate([2.0 * conv_encode(b).astype(np.float64) - 1.0, np.ones(PILOT_BITS)])
                      for b in bits])
    norm = np.linalg.norm(s, axis=1)
    score = np.where(norm > 0, np.sum(codes * s, axis=1) / (np.maximum(norm, 1e-12) * math.sqrt(SYMBOLS)), 0.0)
    weights = 1 << np.arange(PAYLOAD_BITS - 1, -1, -1)
    return bits.astype(np.int64) @ weights, score


def union_bound(score: float, trials: int = 1) -> float:
    """Chance that unmarked input (isotropic soft values) decodes with cosine ≥ ``score``:
    trials · 2^16 · P(cos ≥ score) for one fixed symbol vector in 64 dimensions, capped at 1."""
    if score <= 0.0:
        return 1.0
    if score >= 1.0:
        return 0.0
    n = SYMBOLS
    log_b = math.lgamma(0.5) + math.lgamma((n - 1) / 2) - math.lgamma(n / 2)
    t = np.linspace(score, 1.0, 4001)
    tail = float(np.trapezoid((1.0 - t * t) ** ((n - 3) / 2), t)) / math.exp(log_b)
    return min(1.0, tail * 2.0 ** PAYLOAD_BITS * trials)


def pilot_scores(soft: np.ndarray, key: bytes) -> np.ndarray:
    """Per row of (B, SYMBOLS) soft values, the correlation of its pilot part with the pilot."""
    return np.nan_to_num(np.atleast_2d(soft)[:, CODE_BITS:]) @ pilot(key)
