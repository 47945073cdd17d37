"""Detection: fold the image onto one tile, find the tile offset by correlating with the sync
cells, read the payload cells (soft values) and decode them with soft-decision Viterbi. Tries a few
scales for resizes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from hegui.labeling.watermark.code import PAYLOAD_BYTES, decode
from hegui.labeling.watermark.pattern import (
    CELL,
    GRID,
    TILE,
    carrier,
    layout,
    sync_template,
)

#: candidate scale factors (watermarked image → observed image) tried in this order
SCALES = (1.0, 0.5, 0.75, 1.5, 2.0, 0.25, 0.9, 0.8, 0.6, 0.4, 0.33)
#: at scales other than 1 only a centre region of at most this many pixels (embedding scale) is used
MAX_RESAMPLED_SIDE = 2048


@dataclass(frozen=True, slots=True)
class Candidate:
    scale: float
    offset: tuple[int, int]
    sync_z: float
    payload: bytes | None
    raw: bytes  # the decoder's best payload, found or not
    bit_errors: int  # code bits that disagree with the decoded codeword
    soft: np.ndarray
    score: float = 0.0  # cosine codeword · soft values
    p_false: float = 1.0  # false-alarm bound of this decode


def _box(a: np.ndarray, k: int) -> np.ndarray:
    """Mean filter of odd size ``k`` with edge replication (integral image)."""
    r = k // 2
    p = np.pad(a, ((r + 1, r), (r + 1, r)), mode="edge").astype(np.float64)
    c = p.cumsum(0).cumsum(1)
    s = c[k:, k:] - c[:-k, k:] - c[k:, :-k] + c[:-k, :-k]
    return (s / (k * k)).astype(np.float32)


def _whiten(luma: np.ndarray) -> np.ndarray:
    """High-pass, then weight every pixel by its local residual energy ``e`` (3×3 px): ``r / (e + 1)^0.6``.

    Pixels on text edges and busy texture (large ``e``) count little, the flat paper between text lines,
    sky and chart backgrounds (small ``e``, where the mark stands out) count much. The small window keeps
    the clean gaps between text lines; window and exponent were chosen on documents, charts and photos
    after JPEG 50 and a 10 % crop (docs/labeling-explicit-watermark.md).
    """
    r = luma - _box(luma, CELL + 1)
    e = np.maximum(_box(r * r, 3), 0.0)  # float rounding can make the box mean slightly negative
    return (r / (e + 1.0) ** 0.6).astype(np.float32)


def _fold(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum of all tiles and the number of copies of each tile pixel (partial tiles at the edges count
    where they exist)."""
    h, w = r.shape
    ph, pw = -(-h // TILE) * TILE, -(-w // TILE) * TILE
    acc = np.zeros((ph, pw), dtype=np.float32)
    cnt = np.zeros((ph, pw), dtype=np.float32)
    acc[:h, :w] = r
    cnt[:h, :w] = 1.0
    s = acc.reshape(ph // TILE, TILE, pw // TILE, TILE).sum(axis=(0, 2))
    n = cnt.reshape(ph // TILE, TILE, pw // TILE, TILE).sum(axis=(0, 2))
    return s, n


def _cells(folded: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Demodulate: per-cell correlation with the carrier at the found offset."""
    g = (np.roll(folded, (-dy, -dx), axis=(0, 1)) * carrier()).reshape(GRID, CELL, GRID, CELL)
    return g.mean(axis=(1, 3)).reshape(-1)


def _copies(count: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Mean number of tile copies under each cell."""
    g = np.roll(count, (-dy, -dx), axis=(0, 1)).reshape(GRID, CELL, GRID, CELL)
    return g.mean(axis=(1, 3)).reshape(-1)


def analyse(luma: np.ndarray, key: bytes, scale: float) -> Candidate:
    if scale != 1.0:
        h, w = luma.shape
        side = int(MAX_RESAMPLED_SIDE * scale)  # bound time and memory: a centre region is enough
        if h > side or w > side:
            y0, x0 = max(0, (h - side) // 2), max(0, (w - side) // 2)
            luma = luma[y0:y0 + side, x0:x0 + side]
            h, w = luma.shape
        size = (max(1, round(w / scale)), max(1, round(h / scale)))
        luma = np.asarray(Image.fromarray(luma).resize(size, Image.Resampling.BICUBIC), dtype=np.float32)
    total, count = _fold(_whiten(luma))
    folded = total / np.maximum(count, 1.0)
    folded -= folded.mean()
    t = sync_template(key)
    corr = np.real(np.fft.ifft2(np.fft.fft2(folded) * np.conj(np.fft.fft2(t))))
    dy, dx = np.unravel_index(int(np.argmax(corr)), corr.shape)
    z = float((corr[dy, dx] - corr.mean()) / (corr.std() + 1e-9))
    _, _, data = layout(key)
    # a cell seen in n tile copies has n times the signal and √n times the noise of one copy: its sum is
    # the decoder's log-likelihood weight, sum/√n has unit noise for the false-alarm test
    sums = _cells(total - count * float(np.sum(total)) / max(float(np.sum(count)), 1.0), int(dy), int(dx))[data]
    copies = np.maximum(_copies(count, int(dy), int(dx))[data], 1e-3)
    soft = sums / np.sqrt(copies)
    d = decode(soft, key, llr=sums)
    return Candidate(scale, (int(dy), int(dx)), z, d.payload, d.estimate, d.bit_errors, soft, d.score, d.p_false)


def search(luma: np.ndarray, key: bytes, scales: tuple[float, ...] = SCALES) -> Candidate:
    """First scale whose payload decodes; otherwise the candidate with the best decoder score."""
    best: Candidate | None = None
    for scale in scales:
        if min(luma.shape) / scale < TILE // 2:
            continue
        cand = analyse(luma, key, scale)
        if cand.payload is not None:
            return cand
        if best is None or cand.score > best.score:
            best = cand
    if best is None:
        return Candidate(1.0, (0, 0), 0.0, None, bytes(PAYLOAD_BYTES), -1, np.zeros(0, dtype=np.float32))
    return best
