"""The public training sources beyond COLD and JADE, each a generator of :class:`Example` rows.

Only permissively licensed sets are read here (``../shared/data/README.md``): SWSR, JailBench,
HarmBench, AdvBench, StrongREJECT, JailbreakBench (MIT), QQ-group ads (MIT), CrossWOZ, KdConv
(Apache-2.0), CMRC 2018 (CC BY-SA 4.0), the Chinese instruction supplement (MIT), and the team's
own ``data/written/*.jsonl``. XSafety, Resume NER and the telecom-fraud set (NC) are evaluation-only
and have no loader here. Every row keeps its ``source`` so whole sources can be held out
(``bench/moderation/generalisation.py``).

Large benign sets are capped by a deterministic hash sample (``cap``) so training stays within a
2-core budget; the cap is recorded in the model card through the data counts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from hegui.moderation.classifier.dataset import Example, _bucket, assign_split

#: JailBench second-level class → head (TC260 basic requirements; A5 rows train `unsafe` only).
JAILBENCH_HEADS = {
    "歧视": "discrimination", "商业违法违规": "commercial", "危害他人身心健康": "health_harm",
    "侵害他人肖像权": "rights", "侵害他人名誉权": "rights", "危害公共安全": "illegal",
    "侵害他人隐私权": "privacy", "侵害他人财产权": "illegal", "其他法律、行政法规禁止的内容": "illegal",
}
HARMBENCH_HEADS = {"chemical_biological": "illegal", "illegal": "illegal", "cybercrime_intrusion": "illegal",
                   "misinformation_disinformation": "misinformation", "harassment_bullying": "rights",
                   "copyright": "commercial", "harmful": None}
STRONGREJECT_HEADS = {"Disinformation and deception": "misinformation",
                      "Hate, harassment and discrimination": "discrimination",
                      "Illegal goods and services": "illegal", "Non-violent crimes": "illegal",
                      "Sexual content": "violence_sexual", "Violence": "violence_sexual"}
JBB_HEADS = {"Harassment/Discrimination": "discrimination", "Malware/Hacking": "illegal",
             "Physical harm": "violence_sexual", "Economic harm": "illegal", "Fraud/Deception": "illegal",
             "Disinformation": "misinformation", "Sexual/Adult content": "violence_sexual",
             "Privacy": "privacy", "Expert advice": None, "Government decision-making": None}
COMMENT_SOURCES = frozenset({"cold", "swsr"})  # offensive *comments*: they train their head, not `unsafe`


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _capped(rows: Iterator[Example], cap: int | None, total: int | None = None) -> Iterator[Example]:
    """Keep a deterministic share of rows (by text hash) so that about ``cap`` remain."""
    if cap is None or total is None or total <= cap:
        yield from rows
        return
    share = cap / total
    for ex in rows:
        if _bucket("cap:" + ex.text) < share:
            yield ex


def _count(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def swsr(data_dir: Path, cap: int | None = None) -> Iterator[Example]:
    """SWSR Weibo comments: sexist → `discrimination` (a comment source, like COLD)."""
    p = data_dir / "swsr" / "comments.jsonl"
    rows = (Example(r["text"].strip(), "discrimination" if r["label"] != "safe" else None,
                    0 if r["label"] == "safe" else 1, "swsr", "zh", assign_split(r["text"].strip()))
            for r in _rows(p) if r["text"].strip())
    return _capped(rows, cap, _count(p))


def jailbench(data_dir: Path, cap: int | None = None) -> Iterator[Example]:
    """JailBench seeds and jailbreak prompts (all unsafe). Splits follow the *seed question*, so one
    question never sits on both sides; wrapped prompts also train `role_play`."""
    for name in ("seed.jsonl", "attacks.jsonl"):
        for r in _rows(data_dir / "jailbench" / name):
            text = r["text"].strip()
            sub = r.get("category", "").split("/")[-1]
            head = JAILBENCH_HEADS.get(sub) or JAILBENCH_HEADS.get(r.get("category", "").split("/")[0])
            split = assign_split(str(r.get("seed") or text))
            wrapped = r.get("attack") == "jailbreak"
            if wrapped and _bucket("jb:" + text) >= 0.25:  # 2,160 wrappers of 108 questions: keep a quarter
                continue
            yield Example(text, "role_play" if wrapped else head, 1, "jailbench", "zh", split)


def _unsafe_en(data_dir: Path, folder: str, file: str, table: dict[str, str | None],
               key: str = "category") -> Iterator[Example]:
    for r in _rows(data_dir / folder / file):
        text = r["text"].strip()
        if text:
            yield Example(text, table.get(r.get(key) or "", None) or "unsafe", 1, folder, "en", assign_split(text))


def harmbench(data_dir: Path, cap: int | None = None) -> Iterator[Example]:
    return _unsafe_en(data_dir, "harmbench", "behaviors.jsonl", HARMBENCH_HEADS)


def advbench(data_dir: Path, cap: int | None = None) -> Iterator[Example]:
    return _unsafe_en(data_dir, "advbench", "behaviors.jsonl", {})


def strongreject(data_dir: Path, cap: int | None = None) -> Iterator[Example]:
    return _unsafe_en(data_dir, "strongreject", "prompts.jsonl", STRONGREJECT_HEADS)


def jailbreakbench(data_dir: Path, cap: int | None = None) -> Iterator[Example]:
    """The 100 harmful goals, and the submitted jailbreak prompts (all unsafe requests; split by goal)."""
    yield from _unsafe_en(data_dir, "jailbreakbench", "goals.jsonl", JBB_HEADS)
    seen: set[str] = set()
    for r in _rows(data_dir / "jailbreakbench" / "attacks.jsonl"):
        text = (r.get("prompt") or "").strip()
        if text and text not in seen and len(text) <= 4000:
            seen.add(text)
            yield Example(text, "role_play" if r.get("attack_method") in ("JBC", "PAIR") else "unsafe", 1,
                          "jailbreakbench", "en", assign_split(str(r.get("goal") or text)))


def qq_group_ads(data_dir: Path, cap: int | None = None) -> Iterator[Example]:
    for r in _rows(data_dir / "qq_group_ads" / "messages.jsonl"):
        text = r["text"].strip()
        if text:
            spam = r["label"] == "spam"
            yield Example(text, "platform_abuse" if spam else None, int(spam), "qq_group_ads", "zh",
                          assign_split(text))


def _benign(folder: str, files: tuple[str, ...], field: str = "text") -> Callable[..., Iterator[Example]]:
    def load(data_dir: Path, cap: int | None = None) -> Iterator[Example]:
        paths = [data_dir / folder / f for f in files]
        total = sum(_count(p) for p in paths)
        rows = (Example(r[field].strip(), None, 0, folder, r.get("lang", "zh"), assign_split(r[field].strip()))
                for p in paths for r in _rows(p) if r.get(field, "").strip())
        return _capped(rows, cap, total)
    load.__doc__ = f"Benign {folder} rows (all safe), hash-capped."
    return load


crosswoz = _benign("crosswoz", ("val.jsonl", "test.jsonl"))
kdconv = _benign("kdconv", ("dev.jsonl", "test.jsonl"))
cmrc2018 = _benign("cmrc2018", ("questions.jsonl",))
zh_instruct = _benign("zh_instruct_supplement", ("instructions.jsonl",))

#: loader name → (loader, default cap)
PUBLIC_SOURCES: dict[str, tuple[Callable[..., Iterator[Example]], int | None]] = {
    "swsr": (swsr, None), "jailbench": (jailbench, None), "harmbench": (harmbench, None),
    "advbench": (advbench, None), "strongreject": (strongreject, None),
    "jailbreakbench": (jailbreakbench, None), "qq_group_ads": (qq_group_ads, None),
    "crosswoz": (crosswoz, 4000), "kdconv": (kdconv, 4000), "cmrc2018": (cmrc2018, 4000),
    "zh_instruct_supplement": (zh_instruct, 4000),
}


def public_examples(data_dir: Path, only: set[str] | None = None) -> Iterator[Example]:
    for name, (loader, cap) in PUBLIC_SOURCES.items():
        if only is None or name in only:
            if (data_dir / name).is_dir():
                yield from loader(data_dir, cap)


def written_rows(kind: str = "prompts") -> Iterator[dict[str, Any]]:
    """Rows of the team's ``data/written/<kind>.jsonl`` (empty when the file is absent)."""
    ref = resources.files("hegui.moderation.classifier").joinpath("data", "written", f"{kind}.jsonl")
    if not ref.is_file():
        return
    for line in ref.read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


def written_v2() -> Iterator[Example]:
    """The team's second written set: prompts (with heads), platform-abuse messages, and benign
    texts carrying personal information (:mod:`.benign_pi`)."""
    from hegui.moderation.classifier.benign_pi import benign_pi_examples

    yield from benign_pi_examples()
    for r in written_rows("prompts"):
        text = r["text"].strip()
        unsafe = r["label"] == "unsafe"
        yield Example(text, (r.get("head") or "unsafe") if unsafe else None, int(unsafe), "written_v2",
                      r.get("lang", "zh"), assign_split(text))
    for r in written_rows("abuse"):
        text = r["text"].strip()
        spam = r["label"] == "spam"
        yield Example(text, "platform_abuse" if spam else None, int(spam), "written_v2", r.get("lang", "zh"),
                      assign_split(text))
