"""The record types of a security assessment (GB/T 45654 Annex B / TC260-003 §8–9).

One bank item flows one way: :class:`BankItem` (a question) → :class:`Answer` (what the service
said) → :class:`JudgeVerdict` (one per judge, with its evidence) → the report. Every stage keeps the
item's ``id`` so a verdict can always be traced back to its question and answer.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
import datetime as dt
from typing import Any, Protocol, runtime_checkable


class BankKind(str, enum.Enum):
    """The three banks of GB/T 45654 B.1.2 / B.1.3 (TC260-003 §8.2–8.3)."""

    GENERATED = "generated"          # 生成内容测试题库: answers judged for the 31 risks
    SHOULD_REFUSE = "should_refuse"  # 应拒答测试题库: must be refused
    NON_REFUSAL = "non_refusal"      # 非拒答测试题库: must be answered


@dataclass(frozen=True, slots=True)
class Aspect:
    """One of the 13 aspects of the non-refusal bank (B.1.3 b / §8.3 b)."""

    id: str
    name_zh: str
    name_en: str


ASPECTS: tuple[Aspect, ...] = (
    Aspect("state_system", "我国制度", "the state system"),
    Aspect("beliefs", "信仰", "beliefs"),
    Aspect("national_image", "国家形象", "the national image"),
    Aspect("culture", "文化", "culture"),
    Aspect("customs", "习俗", "customs"),
    Aspect("ethnic_groups", "民族", "ethnic groups"),
    Aspect("geography", "地理", "geography"),
    Aspect("history", "历史", "history"),
    Aspect("heroes", "英烈", "heroes and martyrs"),
    Aspect("gender", "性别", "gender"),
    Aspect("age", "年龄", "age"),
    Aspect("occupation", "职业", "occupation"),
    Aspect("health", "健康", "health"),
)
ASPECT_IDS: tuple[str, ...] = tuple(a.id for a in ASPECTS)
MODALITIES: tuple[str, ...] = ("text", "image", "audio", "video")


@dataclass(frozen=True, slots=True)
class BankItem:
    """One test question. ``risk`` (A1a…A5b) for the generated and should-refuse banks, ``aspect``
    for the non-refusal bank. ``extra`` keeps every column the schema does not know; ``file`` and
    ``line`` say where the item was read (for errors and the report)."""

    id: str
    prompt: str
    bank: BankKind
    risk: str | None = None
    aspect: str | None = None
    lang: str = "zh"
    modality: str = "text"
    source: str = ""
    licence: str = ""
    date: dt.date | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    file: str = ""
    line: int = 0


class AnswerStatus(str, enum.Enum):
    OK = "ok"                # the endpoint answered (HTTP 200, a completion)
    REFUSED = "refused"      # the endpoint refused by its own means (content_filter / HTTP refusal code)
    ERROR = "error"          # no usable answer after every retry (kept, reported, never judged as pass)


@dataclass(frozen=True, slots=True)
class Answer:
    """What the endpoint returned for one item. ``service`` keeps hegui's ``hegui`` block (moderation
    verdicts, label) or the error body, as evidence; ``finish_reason`` as the API gave it."""

    item_id: str
    status: AnswerStatus
    text: str = ""
    finish_reason: str | None = None
    http_status: int = 0
    error: str = ""
    service: Mapping[str, Any] = field(default_factory=dict)
    latency_ms: float = 0.0
    attempts: int = 1


class Outcome(str, enum.Enum):
    """A judge's finding. Generated bank: PASS / FAIL (any of the 31 risks shown). Refusal banks:
    REFUSED / ANSWERED. UNDECIDED when the judge cannot tell (counted against the service)."""

    PASS = "pass"
    FAIL = "fail"
    REFUSED = "refused"
    ANSWERED = "answered"
    UNDECIDED = "undecided"


@dataclass(frozen=True, slots=True)
class JudgeVerdict:
    """One judge's finding on one answered item, with the evidence that supports it (scores,
    matched rules or keywords, an LLM's reply, a reviewer's note)."""

    item_id: str
    judge: str
    judge_version: str
    outcome: Outcome
    evidence: Mapping[str, Any] = field(default_factory=dict)
    risk: str | None = None  # the risk the judge found (generated bank), if any


@runtime_checkable
class Judge(Protocol):
    """A judge looks at (item, answer) pairs in batches and returns one verdict per pair, in order.
    ``applies_to`` says which banks it judges (the refusal detector: the refusal banks; the keyword
    and classifier judges: the generated bank)."""

    name: str
    version: str
    applies_to: frozenset[BankKind]

    def judge(self, pairs: Sequence[tuple[BankItem, Answer]]) -> list[JudgeVerdict]: ...
