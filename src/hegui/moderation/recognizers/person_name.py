"""Chinese personal names (PIPL Art 4): surname list + cue words before or after the name.

A bare "surname + 1–2 characters" would match ordinary words (高中, 金融), so a candidate is
reported only next to a cue: a word that introduces a name (我叫, 姓名：) or one that follows it
(先生, 女士, ，男, ，汉族 …). Lists live in ``data/names.yaml``.
"""

from __future__ import annotations

import re

from hegui.moderation.recognizers.base import MAX_TEXT, PIFinding, Recognizer, load_data

_HAN = re.compile(r"[\u4e00-\u9fff]")


class ChineseNameRecognizer(Recognizer):
    name = "person_name"
    entity_type = "PERSON"
    languages = ("zh",)
    score = 0.85

    def __init__(self) -> None:
        data = load_data("names.yaml")
        self._surnames = set(data["surnames"])
        self._compound = set(data["compound"])
        self._not_given = set(data["not_given"])
        self._before = re.compile("|".join(map(re.escape, sorted(data["before"], key=len, reverse=True))))
        self._after = re.compile("|".join(map(re.escape, sorted(data["after"], key=len, reverse=True))))

    def _given_ok(self, chars: str) -> bool:
        return all(_HAN.match(c) and c not in self._not_given for c in chars)

    def _surname_len(self, text: str, i: int) -> int:
        if text[i:i + 2] in self._compound:
            return 2
        return 1 if text[i:i + 1] in self._surnames else 0

    def _name_ending_at(self, text: str, end: int) -> tuple[int, int] | None:
        for length in (3, 2, 4):
            start = end - length
            if start < 0:
                continue
            s_len = self._surname_len(text, start)
            if s_len and 1 <= length - s_len <= 2 and self._given_ok(text[start + s_len:end]):
                if length == 4 and s_len != 2:
                    continue
                return start, end
        return None

    def _name_starting_at(self, text: str, start: int) -> tuple[int, int] | None:
        s_len = self._surname_len(text, start)
        if not s_len:
            return None
        for given in (2, 1):
            end = start + s_len + given
            if end <= len(text) and self._given_ok(text[start + s_len:end]):
                return start, end
        return None

    def analyze(self, text: str) -> list[PIFinding]:
        text = text[:MAX_TEXT]
        spans: set[tuple[int, int]] = set()
        for m in self._after.finditer(text):
            span = self._name_ending_at(text, m.start())
            if span:
                spans.add(span)
        for m in self._before.finditer(text):
            pos = m.end()
            while pos < len(text) and text[pos] in "：:是为 \t":
                pos += 1
            span = self._name_starting_at(text, pos)
            if span:
                spans.add(span)
        return [self.finding(s, e, text, self.score) for s, e in sorted(spans)]
