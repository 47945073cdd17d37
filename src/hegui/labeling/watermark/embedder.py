"""Embedding: add the periodic tile to the luma of every pixel (same delta on R, G and B)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from hegui.labeling.watermark.code import encode
from hegui.labeling.watermark.pattern import TILE, tile

#: luma amplitude at strength 1.0 (PSNR ≈ 40.4 dB on 8-bit images; see docs)
BASE_AMPLITUDE = 2.45
#: mean squared luma change allowed at strength 1: PSNR 40.1 dB (GB-independent goal of issue 4)
MAX_MSE = 255.0**2 / 10 ** (40.1 / 10)
#: weight of flat areas before normalisation (busy areas reach 2.0); v2 used 0.35
FLAT_FLOOR = 0.6


def _texture_mask(luma: np.ndarray) -> np.ndarray:
    """Perceptual weight: stronger in busy areas, weaker in flat ones (floor ``FLAT_FLOOR``), mean square 1.

    The floor keeps enough of the mark on flat paper and chart backgrounds for JPEG 50 to keep it
    (below ≈ 0.5 of the mean amplitude the carrier's DCT coefficient falls under the q50 step)."""
    small = Image.fromarray(luma).reduce(8) if min(luma.shape) >= 64 else Image.fromarray(luma)
    arr = np.asarray(small, dtype=np.float32)
    gy, gx = np.gradient(arr)
    act = np.sqrt(gx * gx + gy * gy)
    weight = np.clip(FLAT_FLOOR + act / (np.median(act) + 1.0), FLAT_FLOOR, 2.0).astype(np.float32)
    big = np.asarray(Image.fromarray(weight).resize((luma.shape[1], luma.shape[0]), Image.Resampling.BILINEAR))
    return big / np.sqrt(np.mean(big * big))


def embed_array(rgb: np.ndarray, payload: int | bytes, *, key: bytes, strength: float) -> np.ndarray:
    """Watermark an H×W×C uint8 array (C = 1, 3 or 4; alpha untouched)."""
    h, w = rgb.shape[:2]
    pattern = tile(encode(payload, key), key)
    reps = (-(-h // TILE), -(-w // TILE))
    wm = np.tile(pattern, reps)[:h, :w]
    color = rgb[..., :3] if rgb.ndim == 3 else rgb[..., None]
    luma = (color.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)[: color.shape[2]]
            if color.shape[2] == 3 else color[..., 0].astype(np.float32))
    delta = wm * (BASE_AMPLITUDE * strength) * _texture_mask(luma)
    step = np.rint(delta).astype(np.int16)  # integer delta: the same rounding for R, G and B
    mse = float(np.mean(step.astype(np.float32) ** 2))
    cap = MAX_MSE * strength * strength
    if mse > cap:  # rounding pushed it over: scale down so PSNR stays >= 40 dB at strength 1
        step = np.rint(delta * np.float32(np.sqrt(cap / mse))).astype(np.int16)
    if rgb.ndim == 2:
        return np.clip(rgb.astype(np.int16) + step, 0, 255).astype(np.uint8)
    out = rgb.copy()
    out[..., :3] = np.clip(rgb[..., :3].astype(np.int16) + step[..., None], 0, 255).astype(np.uint8)
    return out
