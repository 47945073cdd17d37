"""The periodic tile: sync cells plus payload cells, each ±1 times a carrier over ``CELL``×``CELL`` px.

The tile repeats over the whole image, so a crop only shifts it (found by circular correlation
of the folded image with the sync cells) and a resize only scales it (the detector tries scales).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

from hegui.labeling.watermark.code import CODE_BITS

CELL = 8  # pixels per cell side at the embedding scale
GRID = 16  # cells per tile side
TILE = CELL * GRID  # 128 px
SYNC_CELLS = GRID * GRID - CODE_BITS  # 64


@lru_cache(maxsize=8)
def layout(key: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sync cell indices, their ±1 signs, payload cell indices in bit order) for ``key``."""
    seed = int.from_bytes(hashlib.sha256(b"layout:" + key).digest()[:8], "big")
    rng = np.random.default_rng(seed)
    order = rng.permutation(GRID * GRID)
    sync, data = order[:SYNC_CELLS], order[SYNC_CELLS:]
    signs = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=SYNC_CELLS)
    return sync, signs, data


@lru_cache(maxsize=1)
def carrier() -> np.ndarray:
    """Mid-frequency carrier (period ``CELL`` in x and y), zero mean in every cell, RMS 1.

    Its frequency (1/8 cycle/px) sits where JPEG q50 still keeps coefficients, a 50 % resize still
    passes it, and natural images carry little energy, so content interferes less than with flat cells.
    """
    x = np.cos(2 * np.pi * (np.arange(TILE) + 0.5) / CELL)
    c = (x[None, :] + x[:, None]).astype(np.float32)
    return c / np.float32(np.sqrt(np.mean(c * c)))


def _expand(cells: np.ndarray) -> np.ndarray:
    flat = np.kron(cells.reshape(GRID, GRID), np.ones((CELL, CELL), dtype=np.float32))
    return (flat * carrier()).astype(np.float32)


def tile(bits: np.ndarray, key: bytes) -> np.ndarray:
    """The ``TILE``×``TILE`` ±1 pattern carrying ``bits`` (0/1) and the sync cells."""
    sync, signs, data = layout(key)
    cells = np.zeros(GRID * GRID, dtype=np.float32)
    cells[sync] = signs
    cells[data] = np.where(bits > 0, 1.0, -1.0)
    return _expand(cells)


@lru_cache(maxsize=8)
def sync_template(key: bytes) -> np.ndarray:
    sync, signs, _ = layout(key)
    cells = np.zeros(GRID * GRID, dtype=np.float32)
    cells[sync] = signs
    return _expand(cells)
