"""Personal-information recognizers (PIPL Arts 4, 28, 51; GB/T 45654 risks A4e privacy, A4f PI rights).

A :class:`Recognizer` finds PI spans in text and returns :class:`PIFinding` objects. Pattern
recognizers are declarative (a compiled regex) with an optional ``validate`` method (check digits).
Han text has no ``\\b`` word boundary (regex treats Han as word characters), so patterns use the
explicit look-arounds :data:`NOT_ALNUM_BEFORE` / :data:`NOT_ALNUM_AFTER` (ASCII letters and digits).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any, ClassVar

import yaml

NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"


def lead(first: str, not_before: str = "0-9A-Za-z") -> str:
    """``first`` (a one-character class or literal) not preceded by a character of ``[not_before]``.

    Same matches as ``(?<![not_before])first``, but the pattern starts with a character class, so
    ``re`` skips every position whose character cannot start a match in C (its charset prefix
    scan) instead of running the look-behind at each position of the text."""
    return rf"{first}(?<![{not_before}][\s\S])"
MAX_TEXT = 1_000_000  # characters analysed per call; callers chunk longer texts


@dataclass(frozen=True, slots=True)
class PIFinding:
    """A span ``text[start:end]`` holding personal information of ``entity_type``."""

    start: int
    end: int
    text: str
    entity_type: str
    risk_id: str
    score: float
    recognizer: str


class Recognizer(ABC):
    """Base class: subclasses set the class attributes and implement :meth:`analyze`."""

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    entity_type: ClassVar[str]
    risk_ids: ClassVar[tuple[str, ...]] = ("A4f",)
    languages: ClassVar[tuple[str, ...]] = ("zh", "en")

    @abstractmethod
    def analyze(self, text: str) -> list[PIFinding]:
        """All findings in ``text`` (character offsets into ``text``)."""

    def finding(self, start: int, end: int, text: str, score: float, entity_type: str | None = None,
                risk_id: str | None = None) -> PIFinding:
        return PIFinding(start, end, text[start:end], entity_type or self.entity_type,
                         risk_id or self.risk_ids[0], score, self.name)


class PatternRecognizer(Recognizer):
    """A regex recognizer; override :meth:`validate` to drop or re-score candidates."""

    pattern: ClassVar[re.Pattern[str]]
    score: ClassVar[float] = 0.8
    context: ClassVar[tuple[str, ...]] = ()  # words that raise the score when within 12 characters before
    context_score: ClassVar[float] = 0.95
    required: ClassVar[str] = ""  # when set, a text without any of these characters cannot match

    def validate(self, candidate: str) -> float | None:
        """Score for a regex match, or None to drop it. Default: the class score."""
        return self.score

    def analyze(self, text: str) -> list[PIFinding]:
        text = text[:MAX_TEXT]
        out: list[PIFinding] = []
        if self.required and not any(c in text for c in self.required):
            return out
        for m in self.pattern.finditer(text):
            start, end = m.span("pi") if "pi" in m.re.groupindex else m.span()
            score = self.validate(text[start:end])
            if score is None:
                continue
            if self.context and any(w in text[max(0, start - 12):start].lower() for w in self.context):
                score = max(score, self.context_score)
            out.append(self.finding(start, end, text, score))
        return out


def anchored_finditer(pattern: re.Pattern[str], text: str, anchors: Iterable[int],
                      back: int = 0) -> Iterator[re.Match[str]]:
    """The matches of ``pattern.finditer(text)``, trying only starts near ``anchors``.

    Exact when every match of ``pattern`` starts within ``[a - back, a]`` of some anchor ``a``
    (``anchors`` ascending) and no match is empty: the candidate starts are tried in order with
    ``pattern.match`` (look-behinds still see the text before the start), and after a match the
    next start is its end, as ``finditer`` does. Used where a pattern is cheap to anchor (a literal
    core found by a fast scan) but expensive to try at every position."""
    pos = 0
    for a in anchors:
        s = max(pos, a - back)
        while s <= a:
            m = pattern.match(text, s)
            if m is None:
                s += 1
                continue
            yield m
            s = m.end() if m.end() > s else s + 1
        pos = max(pos, s)


def load_data(name: str) -> Any:
    """A YAML data file from ``recognizers/data/`` (operators may replace the files)."""
    ref = resources.files("hegui.moderation.recognizers").joinpath("data", name)
    return yaml.safe_load(ref.read_text(encoding="utf-8"))
