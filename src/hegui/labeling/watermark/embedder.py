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
#: at most this factor more amplitude where clipping at black or white ate part of the budget
MAX_BOOST = 2.0


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
    cap = MAX_MSE * strength * strength
    base = rgb if rgb.ndim == 2 else rgb[..., :3]
    lims = _Limits(base)
    best, scale = None, 1.0
    for _ in range(4):  # the PSNR budget is spent on the change that survives clipping at 0 and 255
        step = np.rint(delta * np.float32(scale)).astype(np.int16)
        mse = lims.mse(step)
        if mse <= cap:
            best = step
            if mse >= 0.97 * cap or scale >= MAX_BOOST:
                break
        scale = min(MAX_BOOST, scale * float(np.sqrt(cap / max(mse, 1e-9))) * (0.995 if mse > cap else 1.0))
    while best is None:  # only reached if every try was over the budget (rounding): shrink until it fits
        scale *= 0.9
        step = np.rint(delta * np.float32(scale)).astype(np.int16)
        best = step if lims.mse(step) <= cap else None
    out = _apply(base, best)
    if rgb.ndim == 2:
        return out
    res = rgb.copy()
    res[..., :3] = out
    return res


class _Limits:
    """Mean squared change of ``base`` after adding a luma step to every channel and clipping to 0…255,
    computed without building the image (per channel: the step clipped to the room left in it)."""

    def __init__(self, base: np.ndarray) -> None:
        b = base if base.ndim == 3 else base[..., None]
        chans = [b[..., c] for c in range(b.shape[2])]  # elementwise: fast, unlike reductions over axis 2
        top, bottom = chans[0], chans[0]
        for c in chans[1:]:
            top, bottom = np.maximum(top, c), np.minimum(bottom, c)
        self.hi_any = 255 - top.astype(np.int16)  # a step above this clips some channel at 255
        self.lo_any = -bottom.astype(np.int16)  # ... below this, at 0
        self.base = b
        self.chans = chans
        self.room: list[tuple[np.ndarray, np.ndarray]] | None = None

    def mse(self, step: np.ndarray) -> float:
        k = len(self.chans)
        f = step.astype(np.float32).ravel()
        total = float(f @ f) * k
        hit = (step > self.hi_any) | (step < self.lo_any)
        count = int(np.count_nonzero(hit))
        if count == 0:
            return total / (f.size * k)
        if count < step.size // 16:  # few clipped pixels: correct just those
            b = self.base[hit].astype(np.int16)
            sh = step[hit]
            d = np.clip(sh[:, None], -b, 255 - b).astype(np.float32)
            return (total + float((d * d).sum()) - float(sh.astype(np.float32) @ sh.astype(np.float32)) * k) / (f.size * k)
        if self.room is None:
            self.room = [(-c.astype(np.int16), 255 - c.astype(np.int16)) for c in self.chans]
        total = 0.0
        for lo, hi in self.room:
            d = np.minimum(np.maximum(step, lo), hi).astype(np.float32).ravel()
            total += float(d @ d)
        return total / (f.size * k)

def _apply(base: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Add the integer luma delta to every colour channel (the same for R, G and B), clipped to 0…255."""
    s = step if base.ndim == 2 else step[..., None]
    return np.clip(base.astype(np.int16) + s, 0, 255).astype(np.uint8)
