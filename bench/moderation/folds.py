"""Leave-one-source-out folds for the generalisation benchmark.

Sources are grouped where they are near-copies of each other (the four English harmful-behaviour
sets; the team's three written sets), and a group is held out whole: the fold's fast model and
semantic heads never see any of it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hegui.moderation.classifier.dataset import Example, _bucket
from hegui.moderation.classifier.features import FeatureConfig
from hegui.moderation.classifier.model import Classifier
from hegui.moderation.classifier.train import train
from hegui.moderation.semantic.cascade import CascadeClassifier
from hegui.moderation.semantic.model import JUDGE_CLASSES, JUDGE_DIM, SemanticModel
from hegui.moderation.semantic.train import train_heads

log = logging.getLogger("bench.folds")
GROUPS = {"harmbench": "en_harmful", "advbench": "en_harmful", "strongreject": "en_harmful",
          "jailbreakbench": "en_harmful", "written": "team_written", "written_texts": "team_written",
          "written_v2": "team_written", "written_pi": "team_written"}
TEST_CAP = 1500  # held-out rows scored per group (hash sample)


def group_of(source: str) -> str:
    base = source.split("+")[0]
    return GROUPS.get(base, base)


class CachedEncoder:
    """Encoder interface over the embedding cache (misses are embedded and kept in memory)."""

    def __init__(self, cache) -> None:  # noqa: ANN001
        self.cache = cache

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.cache.embed(list(texts), persist=False)


@dataclass
class Fold:
    group: str
    fast: Classifier
    cascade: CascadeClassifier
    test: list[Example]


def make_fold(group: str, examples: Sequence[Example], tf, emb: np.ndarray, cfg: FeatureConfig,  # noqa: ANN001
              encoder: CachedEncoder, *, semantic_weight: float, band: tuple[float, float]) -> Fold:
    groups = np.asarray([group_of(e.source) for e in examples])
    keep = np.flatnonzero(groups != group)
    train_ex = [examples[i] for i in keep]
    log.info("fold %s: training on %d rows", group, len(train_ex))
    fast = Classifier(train(train_ex, cfg, [4.0], tf=tf[keep]))
    names, arrays, _ = train_heads(train_ex, emb[keep], fast.heads, semantic_weight=semantic_weight, band=band)
    sem = SemanticModel(names, {h: fast.head_risks[h] for h in names},
                        judge_w=np.zeros((JUDGE_DIM, len(JUDGE_CLASSES)), np.float32),
                        judge_b=np.zeros(len(JUDGE_CLASSES), np.float32), **arrays)
    held = [examples[i] for i in np.flatnonzero(groups == group)]
    if len(held) > TEST_CAP:
        held = [e for e in held if _bucket("loso:" + e.text) < TEST_CAP / len(held)]
    return Fold(group, fast, CascadeClassifier(fast, sem, encoder=encoder), held)  # type: ignore[arg-type]
