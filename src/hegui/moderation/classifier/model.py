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

from hegui.moderation.classifier.features import vectorize
from hegui.moderation.classifier.weights import ModelData, load_model

DEFAULT_MODEL = "model/default.npz"
WINDOW = 1_000  # longer texts are scored in windows of this many characters ...
_OVERLAP = 100  # ... overlapping by this many, so a short unsafe passage is not diluted by the rest


class Classifier:
    """Calibrated multi-head text classifier. Build with :meth:`load_default` or :meth:`load`."""

    def __init__(self, data: ModelData) -> None:
        self._data = data
        self.heads: list[str] = list(data.heads)
        self.head_risks: dict[str, list[str]] = {h: list(r) for h, r in data.head_risks.items()}
        self.meta = dict(data.meta)

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

        Texts longer than ``WINDOW`` characters are scored in overlapping windows and each head
        takes its highest window score: every part of a long text is seen, and an unsafe passage
        is not averaged away by the benign text around it.
        """
        if len(text) <= WINDOW:
            probs = self._calibrate(self.logits(text))
        else:
            step = WINDOW - _OVERLAP
            probs = np.max([self._calibrate(self.logits(text[i:i + WINDOW]))
                            for i in range(0, len(text) - _OVERLAP, step)], axis=0)
        return {h: float(p) for h, p in zip(self.heads, probs)}

    def score_batch(self, texts: Iterable[str]) -> list[dict[str, float]]:
        return [self.score(t) for t in texts]
