"""Evaluation-only sets (never trained on) and the team's challenge bank, as plain rows.

XSafety (research licence), the telecom-fraud SMS (NC), COLD dev and the DiaSafety / JailbreakBench
*responses* are read from ``../shared/data``; the challenge bank from ``bench/moderation/challenge``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hegui.moderation.classifier.dataset import _bucket

CHALLENGE = Path(__file__).parent / "challenge"


@dataclass(frozen=True, slots=True)
class Row:
    text: str
    label: int  # 1 = must be stopped / harmful, 0 = must pass
    set: str
    lang: str = "zh"
    group: str = ""  # category / kind, for per-group tables
    prompt: str = ""  # response rows: the prompt that was answered
    cls: str = ""  # response rows: harmful / refusal / responsible / benign
    extra: dict = field(default_factory=dict)


def _jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def xsafety(data_dir: Path) -> Iterator[Row]:
    """XSafety zh + en: every scenario is unsafe except `commonsense` (benign quizzes)."""
    for lang in ("zh", "en"):
        for r in _jsonl(data_dir / "xsafety" / f"prompts_{lang}.jsonl"):
            yield Row(r["text"], 0 if r["category"] == "commonsense" else 1, "xsafety", lang, r["category"])


def cold_dev(data_dir: Path, cap: int = 3000) -> Iterator[Row]:
    rows = list(_jsonl(data_dir / "cold" / "dev.jsonl"))
    share = cap / max(len(rows), 1)
    for r in rows:
        if _bucket("eval:" + r["text"]) < share:
            yield Row(r["text"], int(r["label"] == "offensive"), "cold_dev", "zh", r.get("category", ""))


def telecom_fraud(data_dir: Path, cap: int = 3000) -> Iterator[Row]:
    path = data_dir / "telecom_fraud" / "messages.jsonl"
    if not path.is_file():
        return
    rows = list(_jsonl(path))
    share = cap / max(len(rows), 1)
    for r in rows:
        if _bucket("eval:" + r["text"]) < share:
            yield Row(r["text"], int(r["label"] == "unsafe"), "telecom_fraud", "zh", r.get("category", ""))


def responses(data_dir: Path, cap: int = 1500) -> Iterator[Row]:
    """DiaSafety test (unsafe reply vs safe reply) and JailbreakBench responses (jailbroken vs not)."""
    rows = list(_jsonl(data_dir / "diasafety" / "test.jsonl"))
    share = cap / max(len(rows), 1)
    for r in rows:
        if _bucket("eval:" + r["response"]) < share:
            lab = int(r["label"] == "unsafe")
            yield Row(r["response"], lab, "diasafety", "en", r.get("category", ""), r["prompt"],
                      "harmful" if lab else "benign")
    for r in _jsonl(data_dir / "jailbreakbench" / "attacks.jsonl"):
        lab = int(r["label"] == "unsafe")
        yield Row(r["response"] or "", lab, "jbb_responses", "en", r.get("category", ""), r["goal"],
                  "harmful" if lab else "refusal")


def challenge_prompts() -> Iterator[Row]:
    path = CHALLENGE / "prompts.jsonl"
    if path.is_file():
        for r in _jsonl(path):
            yield Row(r["text"], int(r["expect"] == "refuse"), "challenge", r["lang"],
                      r["kind"], extra={"risk": r.get("risk"), "aspect": r.get("aspect"), "evasion": r.get("evasion")})


def challenge_responses() -> Iterator[Row]:
    path = CHALLENGE / "responses.jsonl"
    if path.is_file():
        for r in _jsonl(path):
            yield Row(r["response"], int(r["label"] == "harmful"), "challenge_responses", r["lang"],
                      r["label"], r["prompt"], r["label"])


def challenge_abuse() -> Iterator[Row]:
    path = CHALLENGE / "abuse.jsonl"
    if path.is_file():
        for r in _jsonl(path):
            yield Row(r["text"], int(r["label"] == "abuse"), "challenge_abuse", "zh", r["kind"])
