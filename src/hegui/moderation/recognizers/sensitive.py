"""Ethnicity and the other sensitive PI categories of PIPL Art 28 (religion, health, biometrics,
financial accounts, whereabouts, minors under 14, specific identities). Term lists: ``data/sensitive.yaml``.

The term lists are one alternation each (a named group per category), but ``re`` would try every
alternative at every position of the text. Instead one Aho-Corasick pass (``daachorse``) over a
case-folded copy of the text finds every place where some term starts, and the alternation is
tried only there (:func:`anchored_finditer`): the same matches, in a fraction of the time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from hegui.moderation.recognizers.base import MAX_TEXT, PIFinding, Recognizer, anchored_finditer, load_data

#: Characters that ``re.IGNORECASE`` matches with an ASCII letter but whose ``lower()`` is not that
#: letter (U+0130 also lowercases to two characters): mapped before lowering so positions stay 1:1.
_CASE_SPECIAL = {"\u0130": "i", "\u0131": "i", "\u017f": "s"}
_CASE_TABLE = str.maketrans(_CASE_SPECIAL)
_HAS_SPECIAL = re.compile("[" + "".join(_CASE_SPECIAL) + "]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def replace_surrogates(text: str) -> str:
    """Lone surrogates become U+FFFD (same length, so offsets stay valid); the Rust matchers refuse them."""
    return _SURROGATE.sub("\ufffd", text)


def _alternation(terms: list[str]) -> str:
    parts = []
    for t in sorted(terms, key=len, reverse=True):
        esc = re.escape(t)
        # ASCII terms need ASCII word edges; Han terms match anywhere (no \b in Han text).
        parts.append(rf"(?<![A-Za-z0-9]){esc}(?![A-Za-z0-9])" if t.isascii() else esc)
    return "|".join(parts)


def casefold_1to1(text: str) -> str:
    """``text`` lowered so that every character ``re.IGNORECASE`` matches with a lowercase ASCII
    letter becomes that letter, keeping positions (one character for one)."""
    if _HAS_SPECIAL.search(text):
        text = text.translate(_CASE_TABLE)
    low = text.lower()
    return low if len(low) == len(text) else "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


class _TermStarts:
    """Where any of ``terms`` starts in a text (overlapping, case-insensitive when ``fold_case``)."""

    def __init__(self, terms: Iterable[str], fold_case: bool) -> None:
        import daachorse

        self._fold = fold_case
        pats = sorted({t.lower() if fold_case else t for t in terms if t})
        self._ac = daachorse.CharwiseDoubleArrayAhoCorasick(pats) if pats else None

    def __call__(self, text: str) -> list[int]:
        if self._ac is None or not text:
            return []
        hay = casefold_1to1(text) if self._fold else text
        try:
            hits = self._ac.find_overlapping(hay)
        except UnicodeEncodeError:  # lone surrogates: stand-ins of the same length (no term has one)
            hits = self._ac.find_overlapping(replace_surrogates(hay))
        return sorted({s for s, _, _ in hits})


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
        self._full_starts = _TermStarts(names, fold_case=False)
        self._short = re.compile(rf"民族\s*[:：]?\s*(?P<pi>(?:{short}))(?!族)")

    def analyze(self, text: str) -> list[PIFinding]:
        text = text[:MAX_TEXT]
        out = [self.finding(m.start(), m.end(), text, 0.85)
               for m in anchored_finditer(self._full, text, self._full_starts(text))]
        taken = {(f.start, f.end) for f in out}
        if "民族" in text:
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
        # one alternation with a named group per category, tried only where a term starts
        self._pattern = re.compile("|".join(f"(?P<c{i}>{_alternation(spec['terms'])})"
                                            for i, spec in enumerate(cats.values())), re.IGNORECASE)
        self._starts = _TermStarts((t for spec in cats.values() for t in spec["terms"]), fold_case=True)

    def analyze(self, text: str) -> list[PIFinding]:
        text = text[:MAX_TEXT]
        return [self.finding(m.start(), m.end(), text, 0.7, entity_type=self._groups[m.lastgroup or ""])
                for m in anchored_finditer(self._pattern, text, self._starts(text))]
