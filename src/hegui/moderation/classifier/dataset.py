"""Training examples for the classifier: COLD, JADE, the team's written examples, operator JSONL.

An :class:`Example` is positive (``label=1``) or negative (``label=0``) for ``head``; ``head=None``
with ``label=0`` is a benign text (negative for every head). ``split`` is ``train``, ``calib``
(held out for Platt calibration) or ``test`` (held out for scoring, JADE only); splits are
deterministic (a hash of the text), so a retrain on the same data gives the same split.
XSafety is evaluation-only (research licence) and is never read here.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from hegui.moderation.classifier.errors import TrainingDataInvalid
from hegui.moderation.holdout import HELD_OUT_ROW, is_held_out_row, refuse_held_out

CALIB_SHARE = 0.15
JADE_TEST_SHARE = 0.20
COMPOSE_MAX_CHARS = 1_000  # composed texts stay within one scoring window (``model.WINDOW``)
_SLOT = re.compile(r"\{([a-z_0-9]+)\}")


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    head: str | None
    label: int
    source: str
    lang: str = "zh"
    split: str = "train"


def _bucket(text: str) -> float:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") / 2**64


def assign_split(text: str, *, test_share: float = 0.0) -> str:
    u = _bucket(text)
    if u < test_share:
        return "test"
    return "calib" if u < test_share + CALIB_SHARE else "train"


def _data_file(name: str) -> dict[str, Any]:
    ref = resources.files("hegui.moderation.classifier").joinpath("data", name)
    data: dict[str, Any] = yaml.safe_load(ref.read_text(encoding="utf-8"))
    return data


def load_heads() -> dict[str, list[str]]:
    """Head name → risk ids, from ``data/heads.yaml``."""
    return {k: list(v) for k, v in _data_file("heads.yaml")["heads"].items()}


def cold_examples(data_dir: Path) -> Iterator[Example]:
    """COLD ``train.csv`` only (the dev split is for scoring; the test split is not shipped)."""
    with (data_dir / "cold" / "train.csv").open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            text = (row.get("TEXT") or "").strip()
            if text:
                yield Example(text, "offensive", int(row["label"]), "cold", "zh", assign_split(text))


def jade_head(category: str, subcategory: str, table: dict[str, Any]) -> str | None:
    subs: dict[str, str | None] = table["subcategories"]
    for sub in subcategory.split("|"):
        sub = sub.strip()
        if sub in subs and subs[sub] is not None:
            return subs[sub]
    other: dict[str, str] = table.get("other_by_category", {})
    return other.get(category.strip())


def jade_examples(data_dir: Path) -> Iterator[Example]:
    """Every JADE prompt is unsafe; its category picks the head. 20 % are held out as ``test``."""
    table = _data_file("jade_categories.yaml")
    for path in sorted((data_dir / "jade").glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                text = row["text"].strip()
                head = jade_head(row.get("category", ""), row.get("subcategory", ""), table)
                yield Example(text, head, 1, "jade", row.get("lang", "zh"),
                              assign_split(text, test_share=JADE_TEST_SHARE))


def sample_fillings(pools: list[list[str]], k: int, rng: random.Random,
                    full_below: int = 20_000) -> list[tuple[str, ...]]:
    """Up to ``k`` distinct template fillings, drawn without building the full product when it has
    more than ``full_below`` combinations."""
    total = 1
    for p in pools:
        total *= len(p)
    if total <= full_below:
        combos = list(itertools.product(*pools))
        rng.shuffle(combos)
        return combos[:k]
    seen: dict[tuple[str, ...], None] = {}
    while len(seen) < min(k, total):
        seen.setdefault(tuple(rng.choice(p) for p in pools), None)
    return list(seen)


def written_examples() -> Iterator[Example]:
    """Expand the team's templates in ``data/written_examples.yaml`` (deterministic)."""
    spec = _data_file("written_examples.yaml")
    lists: dict[str, list[str]] = spec["lists"]
    seen: set[str] = set()
    for gi, group in enumerate(spec["groups"]):
        rng = random.Random(f"hegui-written-{gi}")
        head = None if group["label"] == "benign" else group["label"]
        templates = lists[group["templates_from"]] if "templates_from" in group else group["templates"]
        for template in templates:
            slots = sorted(set(_SLOT.findall(template)))
            alias = group.get("slots", {})
            pools = [lists[alias.get(s, s)] for s in slots]
            for combo in sample_fillings(pools, group["per_template"], rng):
                text = template.format(**dict(zip(slots, combo)))
                if text not in seen:
                    seen.add(text)
                    yield Example(text, head, 0 if head is None else 1, "written", group["lang"],
                                  assign_split(text))


def _compose(sentences: dict[str, list[str]], spec: dict[str, Any], frames: list[str]) -> Iterator[str]:
    """Benign texts of 2..N sentences from one or two topics, split into paragraphs (deterministic)."""
    rng = random.Random(f"hegui-compose-{spec['seed']}")
    topics = sorted(sentences)
    sep = " " if spec["lang"] == "en" else ""
    for _ in range(spec["count"]):
        chosen = rng.sample(topics, 2 if rng.random() < 0.3 else 1)
        pool = [s for t in chosen for s in sentences[t]]
        k = min(len(pool), rng.randint(spec["min_sentences"], spec["max_sentences"]))
        picked = rng.sample(pool, k)
        if frames and rng.random() < 0.4:
            picked.insert(0, rng.choice(frames))
        if frames and rng.random() < 0.2:
            picked.append(rng.choice(frames))
        text, run = "", 0
        for sentence in picked:
            glue = "" if not text else ("\n\n" if run >= rng.randint(2, 5) else sep)
            if len(text) + len(glue) + len(sentence) > COMPOSE_MAX_CHARS:
                break
            run = 0 if glue == "\n\n" else run + 1
            text += glue + sentence
        if text:
            yield text


def written_texts() -> Iterator[Example]:
    """The team's longer texts in ``data/written_texts.yaml``: whole benign texts (e-mails, code,
    multi-paragraph answers), benign paragraphs composed from topic sentences, and unsafe requests."""
    spec = _data_file("written_texts.yaml")
    seen: set[str] = set()

    def emit(text: str, head: str | None, lang: str) -> Iterator[Example]:
        text = text.strip()
        if text and text not in seen:
            seen.add(text)
            yield Example(text, head, 0 if head is None else 1, "written_texts", lang, assign_split(text))

    for lang in ("en", "zh"):
        for text in spec.get(f"benign_{lang}", []):
            yield from emit(text, None, lang)
    for comp in spec.get("compose", []):
        lang = comp["lang"]
        sentences = {k: v for k, v in spec[f"sentences_{lang}"].items() if k != "answer_frame"}
        frames = spec[f"sentences_{lang}"].get("answer_frame", [])
        for text in _compose(sentences, comp, frames):
            yield from emit(text, None, lang)
    for group in spec.get("unsafe", []):
        for text in group["texts"]:
            yield from emit(text, group["head"], group["lang"])


def operator_examples(path: Path, known_heads: set[str]) -> Iterator[Example]:
    """Operator JSONL, one object per line: ``text`` (str), ``label`` (0/1), ``head`` (optional)."""
    refuse_held_out(path)
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TrainingDataInvalid(location=where, detail=f"not JSON: {exc.msg}") from exc
            if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not row["text"].strip():
                raise TrainingDataInvalid(location=where, detail="`text` must be a non-empty string")
            if is_held_out_row(row):
                raise TrainingDataInvalid(location=where, detail=HELD_OUT_ROW)
            label = row.get("label")
            if label not in (0, 1):
                raise TrainingDataInvalid(location=where, detail="`label` must be 0 or 1")
            head = row.get("head")
            if head is not None and (not isinstance(head, str) or head not in known_heads):
                raise TrainingDataInvalid(location=where,
                                          detail=f"unknown head {head!r}; known: {sorted(known_heads)}")
            if head is None and label == 1:
                head = "unsafe"
            text = row["text"].strip()
            yield Example(text, head, label, f"operator:{path.name}", str(row.get("lang", "zh")),
                          assign_split(text))
