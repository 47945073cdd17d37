"""The moderation classifier at run time: hashed n-grams → linear heads → Platt calibration (numpy only).

GB/T 45654 §7–8 / TC260-003: inputs and outputs are reviewed; this model scores each head (one per
risk group, see ``data/heads.yaml``) with a calibrated probability. Thresholds and actions are policy
(packs), not part of the model.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import numpy as np

from hegui.moderation.classifier.features import normalize_all, spans, vectorize
from hegui.moderation.classifier.weights import ModelData, load_model

DEFAULT_MODEL = "model/default.npz"
WINDOW = 1_000  # longer texts are scored in windows of this many characters ...
_OVERLAP = 100  # ... overlapping by this many, so a short unsafe passage is not diluted by the rest
BLOCK_WINDOWS = 16  # windows scored together (one sort, one product): bounds memory on any length


class Classifier:
    """Calibrated multi-head text classifier. Build with :meth:`load_default` or :meth:`load`."""

    def __init__(self, data: ModelData) -> None:
        self._data = data
        self.heads: list[str] = list(data.heads)
        self.head_risks: dict[str, list[str]] = {h: list(r) for h, r in data.head_risks.items()}
        self.meta = dict(data.meta)
        self._f32: tuple[np.ndarray, np.ndarray] | None = None  # weights, idf as float32 (long texts)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Classifier:
        """Load and validate ``path`` (``.npz``; its ``.json`` header sits beside it)."""
        return cls(load_model(path))

    @classmethod
    def load_default(cls) -> Classifier:
        """The model shipped inside the package (offline; no download)."""
        ref = resources.files("hegui.moderation.classifier").joinpath(DEFAULT_MODEL)
        with resources.as_file(ref) as path:
            return cls.load(Path(path))

    def logits(self, text: str) -> np.ndarray:
        """Uncalibrated linear scores, one per head."""
        d = self._data
        ids, vals = vectorize(text, d.config, d.idf)
        if ids.size == 0:
            return d.bias.copy()
        return np.asarray(vals @ d.weights[ids] + d.bias, dtype=np.float32)

    def _calibrate(self, z: np.ndarray) -> np.ndarray:
        a, b = self._data.platt[:, 0], self._data.platt[:, 1]
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(a * z + b, -50.0, 50.0))), dtype=np.float32)

    def score(self, text: str) -> dict[str, float]:
        """Calibrated probability per head, each in [0, 1].

        Texts longer than ``WINDOW`` characters are scored in overlapping windows over the whole
        text (no length cap) and each head takes its highest window score: every part of a long
        text is seen, and an unsafe passage is not averaged away by the benign text around it.
        """
        if len(text) <= WINDOW:
            probs = self._calibrate(self.logits(text))
        else:
            probs = self._calibrate(self.window_logits(text)).max(axis=0)
        return {h: float(p) for h, p in zip(self.heads, probs)}

    def window_logits(self, text: str) -> np.ndarray:
        """Uncalibrated scores of every window of the normalised ``text``: shape (windows, heads).

        The text is normalised once and its n-grams hashed once; an n-gram counts in each window
        that holds all of it. Windows are scored ``BLOCK_WINDOWS`` at a time with one sort (the
        term counts per window) and one gather-and-sum, so time is linear in the length and memory
        stays bounded by the block.
        """
        norm = normalize_all(text)
        step = WINDOW - _OVERLAP
        n_win = max(1, len(range(0, len(norm) - _OVERLAP, step)))
        out = np.empty((n_win, len(self.heads)), dtype=np.float32)
        for w0 in range(0, n_win, BLOCK_WINDOWS):
            nb = min(BLOCK_WINDOWS, n_win - w0)
            lo = w0 * step
            out[w0:w0 + nb] = self._block_logits(norm[lo:(w0 + nb - 1) * step + WINDOW], nb, step)
        return out

    def _float32(self) -> tuple[np.ndarray, np.ndarray]:
        """Weights and idf widened once (half floats are slow to gather and multiply)."""
        if self._f32 is None:
            self._f32 = (self._data.weights.astype(np.float32), self._data.idf.astype(np.float32))
        return self._f32

    def _block_logits(self, seg: str, nb: int, step: int) -> np.ndarray:
        d = self._data
        weights, idf = self._float32()
        ids, a, b = spans(seg, d.config)
        out = np.repeat(d.bias[None, :], nb, axis=0).astype(np.float32)
        if ids.size == 0:
            return out
        # windows holding [a, b): from ceil((b - WINDOW) / step) to floor(a / step) (one or two);
        # an n-gram longer than a window (a very long word) counts in the window it starts in
        hi = np.minimum(a // step, nb - 1)
        lo = np.minimum(np.maximum(0, -((WINDOW - b) // step)), hi)
        cnt = hi - lo + 1
        first = np.cumsum(cnt) - cnt
        win = np.repeat(lo, cnt) + (np.arange(int(cnt.sum())) - np.repeat(first, cnt))
        bits = d.config.bits
        key_type = np.uint32 if (nb << bits) <= 1 << 32 else np.uint64  # smaller keys sort faster
        keys, counts = np.unique((win.astype(key_type) << key_type(bits)) | np.repeat(ids, cnt).astype(key_type),
                                 return_counts=True)
        win, bucket = (keys >> key_type(bits)).astype(np.int64), (keys & key_type(d.config.dim - 1)).astype(np.int64)
        vals = (1.0 + np.log(counts.astype(np.float32))) * np.take(idf, bucket)
        norms = np.sqrt(np.bincount(win, weights=vals.astype(np.float64) ** 2, minlength=nb))
        vals = vals / np.where(norms > 0, norms, 1.0).astype(np.float32)[win]
        contrib = np.take(weights, bucket, axis=0)  # take: about twice as fast as fancy indexing
        contrib *= vals[:, None]
        cuts = np.flatnonzero(np.concatenate(([True], win[1:] != win[:-1])))
        out[win[cuts]] += np.add.reduceat(contrib, cuts, axis=0)
        return out

    def score_batch(self, texts: Iterable[str]) -> list[dict[str, float]]:
        return [self.score(t) for t in texts]
