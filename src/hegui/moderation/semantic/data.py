"""Training rows for the semantic heads: the classifier's sources, the public sets, the team's sets.

Same :class:`~hegui.moderation.classifier.dataset.Example` rows and deterministic splits as the fast
classifier (a text's calibration split is the same in both, so the cascade is calibrated on text
neither stage trained on). No sound-rewritten copies: the fast stage's syllable channel covers
pinyin and same-sound evasion. Large sources are hash-capped to bound embedding time (2 cores).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from hegui.moderation.classifier.dataset import Example, _bucket
from hegui.moderation.classifier.sources import public_examples, written_v2
from hegui.moderation.classifier.train import collect

CAPS = {"cold": 5000, "swsr": 3000, "crosswoz": 2500, "kdconv": 2500, "cmrc2018": 2500,
        "zh_instruct_supplement": 2500, "written": 3000, "written_texts": 1200}


def capped(rows: Iterable[Example]) -> list[Example]:
    """About ``CAPS[source]`` rows of each large source, by a deterministic hash of the text."""
    rows = list(rows)
    totals = Counter(ex.source for ex in rows)
    return [ex for ex in rows if ex.source not in CAPS or totals[ex.source] <= CAPS[ex.source]
            or _bucket("sem:" + ex.text) < CAPS[ex.source] / totals[ex.source]]


def semantic_examples(data_dir: Path | None, *, written: bool = True) -> list[Example]:
    rows: list[Example] = collect(data_dir, [], written=written, sound_copies=False)
    if data_dir is not None:
        rows += public_examples(data_dir)
    if written:
        rows += written_v2()
    return capped(rows)
