"""Ethnicity and the other sensitive PI categories of PIPL Art 28 (religion, health, biometrics,
financial accounts, whereabouts, minors under 14, specific identities). Term lists: ``data/sensitive.yaml``.
"""

from __future__ import annotations

import re

from hegui.moderation.recognizers.base import MAX_TEXT, PIFinding, Recognizer, load_data


def _alternation(terms: list[str]) -> str:
    parts = []
    for t in sorted(terms, key=len, reverse=True):
        esc = re.escape(t)
        # ASCII terms need ASCII word edges; Han terms match anywhere (no \b in Han text).
        parts.append(rf"(?<![A-Za-z0-9]){esc}(?![A-Za-z0-9])" if t.isascii() else esc)
    return "|".join(parts)


class EthnicityRecognizer(Recognizer):
    """Ethnic group of a person (民族): the 56 official names, or ``民族：汉`` short forms."""

    name = "ethnicity"
    entity_type = "ETHNICITY"
    risk_ids = ("A4e", "A4f")
    languages = ("zh",)

    def __init__(self) -> None:
        names = load_data("sensitive.yaml")["ethnicities"]
        short = "|".join(sorted((n[:-1] for n in names), key=len, reverse=True))
        self._full = re.compile(rf"(?:{_alternation(names)})(?!馆|箱|缸|类|群)")
        self._short = re.compile(rf"民族\s*[:：]?\s*(?P<pi>(?:{short}))(?!族)")

    def analyze(self, text: str) -> list[PIFinding]:
        text = text[:MAX_TEXT]
        out = [self.finding(m.start(), m.end(), text, 0.85) for m in self._full.finditer(text)]
        taken = {(f.start, f.end) for f in out}
        for m in self._short.finditer(text):
            if not any(s <= m.start("pi") < e for s, e in taken):
                out.append(self.finding(m.start("pi"), m.end("pi"), text, 0.9))
        return sorted(out, key=lambda f: f.start)


class SensitiveCategoryRecognizer(Recognizer):
    """Mentions of Art 28 categories (entity types ``SENSITIVE_*``) — flags, not identifiers."""

    name = "sensitive_category"
    entity_type = "SENSITIVE"
    risk_ids = ("A4e",)

    def __init__(self) -> None:
        cats = load_data("sensitive.yaml")["categories"]
        self._groups = {f"c{i}": cat for i, cat in enumerate(cats)}
        # one alternation with a named group per category: a single pass over the text
        self._pattern = re.compile("|".join(f"(?P<c{i}>{_alternation(spec['terms'])})"
                                            for i, spec in enumerate(cats.values())), re.IGNORECASE)

    def analyze(self, text: str) -> list[PIFinding]:
        text = text[:MAX_TEXT]
        return [self.finding(m.start(), m.end(), text, 0.7, entity_type=self._groups[m.lastgroup or ""])
                for m in self._pattern.finditer(text)]
