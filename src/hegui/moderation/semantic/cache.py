"""On-disk embedding cache for training and benchmarks (never used at serving time).

Embedding tens of thousands of texts takes minutes on two cores; the training script and the
generalisation benchmark share one cache keyed by the SHA-256 of the text the encoder sees.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hegui.fileio import write_atomic
from hegui.moderation.semantic.encoder import DIM, Encoder, default_encoder, text_key

log = logging.getLogger(__name__)
DEFAULT_DIR = Path(".cache/hegui-embeddings")


class EmbeddingCache:
    def __init__(self, directory: Path = DEFAULT_DIR, encoder: Encoder | None = None) -> None:
        self.dir = directory
        self.encoder = encoder or default_encoder()
        self.path = directory / (self.encoder.id.replace("/", "_") + ".npz")
        self._index: dict[str, int] = {}
        self._vecs = np.zeros((0, DIM), np.float32)
        if self.path.is_file():
            with np.load(self.path, allow_pickle=False) as z:
                keys, self._vecs = z["keys"], z["vecs"].astype(np.float32)
            self._index = {str(k): i for i, k in enumerate(keys)}

    def save(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        keys = np.array(sorted(self._index, key=self._index.__getitem__))
        import io
        buf = io.BytesIO()
        np.savez(buf, keys=keys, vecs=self._vecs.astype(np.float16))
        write_atomic(self.path, buf.getvalue())

    def embed(self, texts: Sequence[str], batch: int = 64, save_every: int = 2000,
              persist: bool = True) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        todo = sorted({k: t for k, t in zip(keys, texts) if k not in self._index}.items())
        if todo:
            log.info("embedding %d new texts (%d cached)", len(todo), len(self._index))
        started, done = time.monotonic(), 0
        for i in range(0, len(todo), batch):
            part = todo[i:i + batch]
            vecs = self.encoder.embed([t for _, t in part])
            base = self._vecs.shape[0]
            self._vecs = np.concatenate([self._vecs, vecs])
            for j, (k, _) in enumerate(part):
                self._index[k] = base + j
            done += len(part)
            if persist and done % save_every < batch:
                self.save()
                log.info("  %d/%d (%.0f texts/s)", done, len(todo), done / max(time.monotonic() - started, 1e-6))
        if todo and persist:
            self.save()
        return self._vecs[[self._index[k] for k in keys]].astype(np.float32)
