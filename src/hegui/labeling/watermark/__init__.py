"""Robust invisible image watermark carrying a 64-bit payload (GB 45438-2025 Annex A.2: permitted,
not required; Labeling Measures Art 5 encourages in-content implicit labels).

numpy only. The payload is coded with a tail-biting convolutional code (rate 1/3, K = 7), scrambled,
and written into a periodic 128×128 tile of ±1 cells added to luma; the detector decodes with
soft-decision Viterbi and reports a false-alarm bound; see ``docs/labeling-explicit-watermark.md``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from PIL import Image

from hegui.labeling.explicit.config import default_policy
from hegui.labeling.explicit.errors import MediaUnsupported
from hegui.labeling.explicit.media import encode_image, open_image
from hegui.labeling.watermark.code import PAYLOAD_BYTES, payload_bytes
from hegui.labeling.watermark.detector import SCALES, search
from hegui.labeling.watermark.embedder import embed_array

__all__ = ["DEFAULT_KEY", "WatermarkResult", "detect", "detect_array", "embed", "embed_array",
           "payload_for_content_id"]

#: the public default key; an operator may set its own (then only its detector finds the mark)
DEFAULT_KEY = b"hegui-wm-v1"


@dataclass(frozen=True, slots=True)
class WatermarkResult:
    found: bool  # the decode passed the false-alarm test (p_false < 1e-8 per decode)
    payload: int | None  # the decoded 64-bit payload when found
    raw_payload: int  # the decoder's best payload even when not found (for bit-accuracy measurements)
    bit_errors: int  # code bits (of 192) whose sign disagreed with the decoded codeword; -1: nothing read
    sync_z: float  # strength of the tile-sync peak (z-score)
    scale: float  # scale at which it was found (observed / embedded)
    confidence: float  # found: 1 − p_false; not found: 0 (no claim is made)
    p_false: float = 1.0  # found: bound on the chance that an unmarked image decodes this well (all scales)
    score: float = 0.0  # cosine between decoded codeword and soft values (found from ≈ 0.68 up)

    def to_dict(self) -> dict[str, object]:
        return {"found": self.found, "payload": None if self.payload is None else f"{self.payload:016x}",
                "bit_errors": self.bit_errors, "sync_z": round(self.sync_z, 2), "scale": self.scale,
                "confidence": round(self.confidence, 6), "p_false": float(f"{self.p_false:.3g}"),
                "score": round(self.score, 4)}


def payload_for_content_id(content_id: str) -> int:
    """64-bit payload for a content ID: the first 8 bytes of SHA-256("hegui-wm-v1:" + id)."""
    return int.from_bytes(hashlib.sha256(b"hegui-wm-v1:" + content_id.encode("utf-8")).digest()[:8], "big")


def _array(img: Image.Image) -> tuple[np.ndarray, str]:
    if img.mode in ("RGB", "RGBA", "L"):
        return np.array(img), img.mode
    if img.mode in ("LA", "PA", "P") and ("transparency" in img.info or img.mode != "P"):
        return np.array(img.convert("RGBA")), "RGBA"
    if img.mode == "CMYK":
        raise MediaUnsupported(detail="CMYK images cannot carry the watermark")
    return np.array(img.convert("RGB")), "RGB"


def embed(image_bytes: bytes, payload: int | bytes, *, strength: float = 1.0, key: bytes = DEFAULT_KEY) -> bytes:
    """Return ``image_bytes`` re-encoded in the same format with the watermark added."""
    if not 0 < strength <= 8:
        raise ValueError("strength must be in (0, 8]")
    payload_bytes(payload)  # validate early
    policy = default_policy().image
    src = open_image(image_bytes, max_pixels=policy.max_pixels)
    if getattr(src.image, "n_frames", 1) > 1:
        raise MediaUnsupported(detail="animated images cannot carry the watermark")
    arr, mode = _array(src.image)
    out = Image.fromarray(embed_array(arr, payload, key=key, strength=strength), mode)
    return encode_image(out, src, jpeg_quality=policy.jpeg_quality)


def detect_array(arr: np.ndarray, *, key: bytes = DEFAULT_KEY) -> WatermarkResult:
    """Detect on an H×W (luma) or H×W×C uint8/float array."""
    a = np.asarray(arr, dtype=np.float32)
    luma = a if a.ndim == 2 else (a[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
                                  if a.shape[2] >= 3 else a[..., 0])
    cand = search(np.ascontiguousarray(luma, dtype=np.float32), key)
    found = cand.payload is not None
    payload = int.from_bytes(cand.payload, "big") if cand.payload is not None else None
    # every scale tried is one more chance of a false alarm. Below the threshold the isotropic-noise
    # model behind the bound does not hold for real images (resampled content gives correlated soft
    # values), so no probability is claimed there.
    p_false = min(1.0, cand.p_false * len(SCALES)) if found else 1.0
    return WatermarkResult(found=found, payload=payload,
                           raw_payload=int.from_bytes(cand.raw[:PAYLOAD_BYTES], "big"),
                           bit_errors=cand.bit_errors, sync_z=cand.sync_z, scale=cand.scale,
                           confidence=1.0 - p_false, p_false=p_false, score=cand.score)


def detect(image_bytes: bytes, *, key: bytes = DEFAULT_KEY) -> WatermarkResult:
    """Look for the watermark in an encoded image (any format Pillow reads)."""
    src = open_image(image_bytes, max_pixels=default_policy().image.max_pixels)
    img = src.image
    if img.mode not in ("RGB", "RGBA", "L"):
        img = img.convert("RGB")
    return detect_array(np.asarray(img), key=key)
