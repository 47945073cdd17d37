"""The cascade: the fast n-gram classifier decides clear cases, the semantic stage the uncertain band.

GB/T 45654 §7–8 asks for moderation that holds on text never seen in training. Character n-grams
learn surface patterns; sentence embeddings generalise across wording. A head whose fast
probability falls inside the model's band ``[lo, hi)`` is re-scored from the embedding of the
text's most suspicious windows, combined with the fast logit by weights fitted on a calibration
split neither stage trained on. Outside the band the fast score stands, so a median prompt costs
no embedding. Same interface as :class:`~hegui.moderation.classifier.Classifier` (``score``,
``score_batch``, ``heads``, ``head_risks``) plus :meth:`judge` for (prompt, response) pairs.

Failure is never silent: an encoder that cannot load or errors raises, and the engine marks the
verdict degraded (policy ``on_degraded`` decides).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hegui.moderation.semantic.encoder import WINDOW_CHARS, Encoder, default_encoder, windows
from hegui.moderation.semantic.model import (
    JUDGE_CLASSES,
    SemanticModel,
    default_semantic_path,
    load_semantic,
    logit,
    sigmoid,
)

MAX_WINDOWS = 4  # semantic windows per text: bounded cost on any length
JUDGE_CACHE = 1024  # (prompt, answer) first windows judged recently
RESPONSE_HEAD = "harmful_response"  # the judge's harmful-compliance probability, as a broad head
CANDIDATES = 64  # windows ranked by the fast stage before the semantic pick
BLOCK = 1000  # past CANDIDATES windows, rank blocks of this size first


class CascadeClassifier:
    """Fast classifier + semantic heads + response judge. Build with :meth:`load_default`."""

    def __init__(self, fast: Any, model: SemanticModel, encoder: Encoder | None = None) -> None:
        self.fast = fast
        self.model = model
        self.encoder = encoder or default_encoder()
        self.heads: list[str] = list(fast.heads)
        self.head_risks: dict[str, list[str]] = {**fast.head_risks,
                                                 RESPONSE_HEAD: list(fast.head_risks.get("unsafe", []))}
        self.meta = {"fast": getattr(fast, "meta", {}), "semantic": model.meta}
        self._cols = np.asarray([fast.heads.index(h) for h in model.heads], dtype=np.int64)
        self.stats = {"texts": 0, "semantic": 0}
        self._judged: dict[tuple[str, str], dict[str, float]] = {}

    @classmethod
    def load_default(cls, *, warm: bool = True) -> CascadeClassifier:
        """The shipped fast model and semantic heads; ``warm`` loads the encoder now (fail early)."""
        from hegui.moderation.classifier import Classifier

        cascade = cls(Classifier.load_default(), load_semantic(default_semantic_path()))
        if warm:
            cascade.encoder.embed(["warm-up"])
        return cascade

    # -- prompts / texts ---------------------------------------------------------------------

    def _fast(self, text: str) -> np.ndarray:
        s = self.fast.score(text)
        return np.asarray([s[h] for h in self.heads], dtype=np.float32)

    def _uncertain(self, probs: np.ndarray) -> bool:
        f = probs[self._cols]
        return bool(np.any((f >= self.model.band[:, 0]) & (f < self.model.band[:, 1])))

    def _pick(self, text: str) -> list[str]:
        """Up to MAX_WINDOWS windows, the ones the fast stage finds most suspicious."""
        spans = windows(text)
        if len(spans) <= MAX_WINDOWS:
            return [text[s:e] for s, e in spans]
        if len(spans) > CANDIDATES:  # rank coarse blocks, then the windows inside the best blocks
            blocks = [(i, min(i + BLOCK, len(text))) for i in range(0, len(text), BLOCK)]
            best = sorted(blocks, key=lambda b: -float(self._fast(text[b[0]:b[1]])[self._cols].max()))[:MAX_WINDOWS]
            spans = [(s + b0, e + b0) for (b0, b1) in best for (s, e) in windows(text[b0:b1])]
        ranked = sorted(spans, key=lambda se: -float(self._fast(text[se[0]:se[1]])[self._cols].max()))
        return [text[s:e] for s, e in ranked[:MAX_WINDOWS]]

    def _combine(self, fast: np.ndarray, emb: np.ndarray) -> np.ndarray:
        """Cascade probabilities for the semantic heads, from the fast probs and window embeddings."""
        m = self.model
        z_sem = (emb @ m.w + m.b).max(axis=0)
        f = fast[self._cols]
        p = sigmoid(m.stack[:, 0] * logit(f) + m.stack[:, 1] * z_sem + m.stack[:, 2])
        inside = (f >= m.band[:, 0]) & (f < m.band[:, 1])
        out = fast.copy()
        out[self._cols] = np.where(inside, p, f)
        return out

    def score(self, text: str) -> dict[str, float]:
        return self.score_batch([text])[0]

    def score_batch(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Scores for many texts; the uncertain ones share one batched embedding call."""
        fast = [self._fast(t) for t in texts]
        todo = [i for i, p in enumerate(fast) if texts[i].strip() and self._uncertain(p)]
        picks = {i: self._pick(texts[i]) for i in todo}
        flat = [w for i in todo for w in picks[i]]
        emb = self.encoder.embed(flat) if flat else np.zeros((0, self.model.w.shape[0]), np.float32)
        self.stats["texts"] += len(texts)
        self.stats["semantic"] += len(todo)
        pos = 0
        for i in todo:
            n = len(picks[i])
            fast[i] = self._combine(fast[i], emb[pos:pos + n])
            pos += n
        return [{h: float(p) for h, p in zip(self.heads, probs)} for probs in fast]

    # -- (prompt, response) ------------------------------------------------------------------

    def judge(self, prompt: str, response: str) -> dict[str, float]:
        """Probabilities of harmful compliance / refusal / responsible answer / benign answer.
        The judge reads the first window of each, so a streamed answer is judged once it is past
        that window: results are kept in a bounded cache (oldest dropped first)."""
        key = (prompt[:WINDOW_CHARS], response[:WINDOW_CHARS])
        got = self._judged.get(key)
        if got is None:
            got = self.judge_batch([(prompt, response)])[0]
            if len(self._judged) >= JUDGE_CACHE:
                self._judged.pop(next(iter(self._judged)))
            self._judged[key] = got
        return got

    def score_fast(self, text: str) -> dict[str, float]:
        """The fast stage alone (answers judged with their prompt need no semantic re-scoring:
        :meth:`score_response` caps every head by the judge)."""
        return {h: float(v) for h, v in self.fast.score(text).items()}

    def score_response(self, prompt: str, response: str, scores: dict[str, float] | None = None) -> dict[str, float]:
        """Scores of an answer read together with its prompt (GB/T 45654 §7: outputs are judged in
        context). ``scores``: the answer's own head scores (computed when absent). The judge's
        harmful-compliance probability is reported as :data:`RESPONSE_HEAD`, and caps every other
        head: the heads were trained on *requests* and say which risk a text is about, the judge
        says whether this answer complies with it. A refusal, a responsible answer on a sensitive
        topic or an ordinary answer is not cut for its topic alone (on DiaSafety val, capping by
        P(harmful) kept recall and raised precision over capping by P(refusal or responsible))."""
        scores = dict(self.score_fast(response) if scores is None else scores)
        if not prompt.strip() or not response.strip():
            return scores
        j = self.judge(prompt, response)
        out = {h: min(v, j["harmful"]) for h, v in scores.items()}
        out[RESPONSE_HEAD] = j["harmful"]
        return out

    def judge_batch(self, pairs: Sequence[tuple[str, str]]) -> list[dict[str, float]]:
        texts: list[str] = []
        for prompt, response in pairs:
            texts.append(prompt[:WINDOW_CHARS] or "-")
            texts.append(response[:WINDOW_CHARS] or "-")
        emb = self.encoder.embed(texts)
        p, r = emb[0::2], emb[1::2]
        z = np.concatenate([p, r, p * r], axis=1) @ self.model.judge_w + self.model.judge_b
        z = z - z.max(axis=1, keepdims=True)
        probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return [{c: float(v) for c, v in zip(JUDGE_CLASSES, row)} for row in probs]
