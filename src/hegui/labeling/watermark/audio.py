"""Audio watermark for synthesised speech (GB 45438-2025 Annex A.2 implicit watermark; Labeling
Measures Art 5; deep-synthesis voices, issue 14). numpy only, no neural net.

``embed(samples, sample_rate, content_id)`` writes a keyed ripple into the long-term spectrum as one
zero-phase linear filter (``audio_dsp``), informed by the host: each code bit gets just the gain its
chips need to agree with it, spent where the speech is weak (cheap in SNR), at a set SNR (32 dB at
strength 1). ``detect`` reads the long-term spectrum at frequency scales 0.88–1.12 and decodes the
16-bit payload (``audio_code``). Design and measured robustness: ``docs/audio-watermark.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hegui.labeling.watermark import audio_code as code
from hegui.labeling.watermark import audio_dsp as dsp
from hegui.labeling.watermark.audio_io import decode_audio

__all__ = ["DEFAULT_KEY", "AudioWatermarkResult", "detect", "detect_file", "embed", "embed_payload",
           "payload16_for_content_id"]

DEFAULT_KEY = b"hegui-wm-v1"
#: SNR (dB, over the whole clip) at strength 1; strength s gives TARGET_SNR_DB − 20·log10(s)
TARGET_SNR_DB = 32.0
#: the largest ripple (dB) written into one chip
MAX_CHIP_DB = 6.0
#: share of a chip's ripple that survives the detector's whitening (measured ≈ 0.63)
KAPPA = 0.63
MIN_RATE, MAX_RATE = 4000, 192000
#: scales (best by pilot) that are decoded
CANDIDATES = 40


@dataclass(frozen=True, slots=True)
class AudioWatermarkResult:
    found: bool  # the decode passed the false-alarm test (p_false < 1e-6 over all scales)
    payload: int | None  # the 16-bit payload when found
    raw_payload: int  # the decoder's best payload, found or not (bit-accuracy measurements)
    raw_bits: tuple[int, ...]  # its 16 bits, MSB first
    score: float  # cosine decoded codeword · soft values
    p_false: float  # bound on the chance that unmarked audio decodes this well
    speed: float  # frequency scale found (observed / embedded): the asetrate-style speed factor
    seconds: float  # duration analysed

    def to_dict(self) -> dict[str, object]:
        return {"found": self.found, "payload": None if self.payload is None else f"{self.payload:04x}",
                "raw_payload": f"{self.raw_payload:04x}", "score": round(self.score, 4),
                "p_false": float(f"{self.p_false:.3g}"), "confidence": round(1.0 - self.p_false, 6) if self.found
                else 0.0, "speed": self.speed, "seconds": round(self.seconds, 2), "payload_bits": code.PAYLOAD_BITS}


def payload16_for_content_id(content_id: str) -> int:
    """The 16-bit audio payload: the top 16 bits of ``payload_for_content_id`` (the image payload)."""
    from hegui.labeling.watermark import payload_for_content_id

    return code.short_payload(payload_for_content_id(content_id))


def _mono(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    x = np.asarray(samples)
    if x.ndim == 2:
        x = x.mean(axis=1) if x.shape[1] <= 8 else x.mean(axis=0)
    if x.ndim != 1:
        raise ValueError("samples must be mono (N,) or (N, channels)")
    if not MIN_RATE <= int(sample_rate) <= MAX_RATE:
        raise ValueError(f"sample_rate must be in [{MIN_RATE}, {MAX_RATE}]")
    x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
        raise ValueError("samples contain NaN or infinity")
    return x


def _soft1(x: np.ndarray, sr: int, key: bytes) -> np.ndarray:
    f, w = dsp.log_ltas(x, sr)
    return dsp.soft_bits(dsp.chip_values(f, w, np.array([1.0])), key, code.SYMBOLS)[0]


def _waterfill(need: np.ndarray, owner: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Chip gains a ≥ 0 (dB) with Σ_{c of symbol b} a_c = need_b at least energy Σ cost_c·a_c²:
    a_c = min(MAX_CHIP_DB, λ_b / cost_c), λ_b found by bisection (all symbols at once)."""
    inv = np.where(np.isfinite(cost), 1.0 / np.where(np.isfinite(cost), cost, 1.0), 0.0)
    lo = np.full(len(need), -12.0)
    hi = np.full(len(need), 8.0)
    for _ in range(40):
        mid = (lo + hi) / 2
        tot = np.bincount(owner, weights=np.minimum(MAX_CHIP_DB, 10.0 ** mid[owner] * inv), minlength=len(need))
        ok = tot >= need
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
    a = np.minimum(MAX_CHIP_DB, 10.0 ** hi[owner] * inv)
    return np.where(need[owner] > 0, a, 0.0)


def embed_payload(samples: np.ndarray, sample_rate: int, payload: int, *, key: bytes = DEFAULT_KEY,
                  strength: float = 1.0) -> np.ndarray:
    """Mark ``samples`` with a 16-bit ``payload``; same length and rate, float32. Silence and clips
    shorter than 0.25 s come back unchanged (nothing can carry the mark there)."""
    if not 0 < strength <= 4:
        raise ValueError("strength must be in (0, 4]")
    x = _mono(samples, sample_rate)
    sr = int(sample_rate)
    target = TARGET_SNR_DB - 20.0 * math.log10(strength)
    sym = code.encode(payload, key)
    if len(x) < sr // 4 or float(np.max(np.abs(x), initial=0.0)) < 1e-4:
        return x.copy()
    owner, sign = dsp.chip_signs(key, code.SYMBOLS)
    power = dsp.chip_power(x, sr)
    usable = power > 1e-9 * max(float(power.max()), 1e-30)
    cost = np.where(usable, power / max(float(power[usable].mean()), 1e-30), np.inf)
    cnt = np.bincount(owner, minlength=code.SYMBOLS).astype(float)
    host = _soft1(x, sr, key) * sym  # how far each code bit already agrees (dB)
    flt = dsp.Filterer(x, sr)
    adj = np.zeros(code.SYMBOLS)
    chip_sign = sign * sym[owner]

    def gains(t: float) -> np.ndarray:
        # t ≥ 0: margin t for every symbol; t < 0 (budget too small): only the symbols that need at
        # most (1 + t)·max are set right, the costliest are left to the error-correcting code
        need = np.clip(max(t, 0.0) - host + adj, 0.0, None) * cnt / KAPPA
        if t < 0:
            need = np.where(need <= (1.0 + t) * float(need.max()), need, 0.0)
        return chip_sign * _waterfill(need, owner, cost)

    y = x
    for _ in range(3):  # closed loop: the whitening eats part of each ripple; top up what is short
        lo, hi = -1.0, 12.0
        for _ in range(16):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if flt.snr_db(gains(mid)) > target else (lo, mid)
        y = flt.apply(gains(lo))
        got = _soft1(y, sr, key) * sym
        if lo < 0:
            break
        adj += 0.7 * np.clip(lo - got, 0.0, None)
    return np.clip(y, -1.0, 1.0)


def embed(samples: np.ndarray, sample_rate: int, content_id: str, *, key: bytes = DEFAULT_KEY,
          strength: float = 1.0) -> np.ndarray:
    """Mark float32 mono speech in [-1, 1] with ``payload16_for_content_id(content_id)``."""
    return embed_payload(samples, sample_rate, payload16_for_content_id(content_id), key=key, strength=strength)


def detect(samples: np.ndarray, sample_rate: int, *, key: bytes = DEFAULT_KEY) -> AudioWatermarkResult:
    """Look for the mark at every frequency scale in ``dsp.SCALES`` (speed changes with pitch)."""
    x = _mono(samples, sample_rate)
    sr = int(sample_rate)
    seconds = len(x) / sr
    f, w = dsp.log_ltas(x, sr)
    soft = dsp.soft_bits(dsp.chip_values(f, w, dsp.SCALES), key, code.SYMBOLS)
    top = np.argsort(-code.pilot_scores(soft, key))[:CANDIDATES]  # the pilot's best scales
    payloads, scores = code.decode(soft[top], key)
    j = int(np.argmax(scores))
    k = int(top[j])
    payloads, scores = payloads[j:j + 1], scores[j:j + 1]
    j = 0
    score = float(scores[j])
    p_false = code.union_bound(score, trials=len(dsp.SCALES))
    found = p_false < code.MAX_FALSE_ALARM and float(np.max(np.abs(x), initial=0.0)) > 0
    raw = int(payloads[j])
    bits = tuple((raw >> (code.PAYLOAD_BITS - 1 - i)) & 1 for i in range(code.PAYLOAD_BITS))
    return AudioWatermarkResult(found=found, payload=raw if found else None, raw_payload=raw, raw_bits=bits,
                                score=score, p_false=p_false if found else 1.0, speed=float(dsp.SCALES[k]),
                                seconds=seconds)


def detect_file(source: str | Path | bytes, *, key: bytes = DEFAULT_KEY) -> AudioWatermarkResult:
    """Decode any audio ffmpeg reads (bounded size and time) to mono PCM and detect."""
    samples, sr = decode_audio(source)
    return detect(samples, sr, key=key)
