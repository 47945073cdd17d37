"""Registry of recognizers (Presidio-style, without global state) and masking (PIPL Arts 28, 51).

Names map explicitly to recognizer instances; the built-ins come from one tuple, and a custom
recognizer can never shadow a built-in. ``analyze`` returns non-overlapping findings (higher score,
then longer span wins) — personal information and content risks (platform abuse and
discrimination, see :mod:`hegui.moderation.recognizers.content`) are resolved separately, so a phone number the PI
recognizers mask can also be part of a disguised contact handle; ``mask`` replaces each finding
while keeping a short readable form (``1101**********1234``, ``138****5678``, ``张**``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from hegui.moderation.recognizers.abuse import AbuseLureRecognizer
from hegui.moderation.recognizers.address import AddressRecognizer
from hegui.moderation.recognizers.base import PIFinding, Recognizer
from hegui.moderation.recognizers.contact import ContactRecognizer
from hegui.moderation.recognizers.discrimination import DiscriminationRecognizer
from hegui.moderation.recognizers.content import is_personal
from hegui.moderation.recognizers.errors import RecognizerConflict
from hegui.moderation.recognizers.numbers import (
    BankCardRecognizer,
    EmailRecognizer,
    IdCardRecognizer,
    LandlineRecognizer,
    LicencePlateRecognizer,
    MobileRecognizer,
    PassportRecognizer,
    UsccRecognizer,
)
from hegui.moderation.recognizers.person_name import ChineseNameRecognizer
from hegui.moderation.recognizers.sensitive import (
    EthnicityRecognizer,
    SensitiveCategoryRecognizer,
)

BUILTINS: tuple[type[Recognizer], ...] = (
    IdCardRecognizer, MobileRecognizer, LandlineRecognizer, BankCardRecognizer, EmailRecognizer,
    UsccRecognizer, PassportRecognizer, LicencePlateRecognizer, ChineseNameRecognizer, AddressRecognizer,
    EthnicityRecognizer, SensitiveCategoryRecognizer, ContactRecognizer, AbuseLureRecognizer,
    DiscriminationRecognizer,
)
# entity type -> (characters kept at the start, characters kept at the end)
_KEEP: dict[str, tuple[int, int]] = {
    "CN_ID_CARD": (4, 4), "CN_MOBILE": (3, 4), "CN_LANDLINE": (4, 2), "BANK_CARD": (4, 4), "CN_USCC": (4, 2),
    "CN_PASSPORT": (1, 2), "CN_LICENCE_PLATE": (2, 1), "PERSON": (1, 0),
}


def _mask_one(f: PIFinding, char: str) -> str:
    s = f.text
    if f.entity_type == "EMAIL":
        local, _, domain = s.partition("@")
        return local[:1] + char * max(1, len(local) - 1) + "@" + domain
    if f.entity_type == "ADDRESS":
        keep = min(6, len(s) // 2)
        return s[:keep] + char * (len(s) - keep)
    head, tail = _KEEP.get(f.entity_type, (0, 0))
    # count only letters/digits/Han for the kept parts, leave separators as they are
    idx = [i for i, c in enumerate(s) if c.isalnum()]
    if len(idx) <= head + tail:
        head, tail = 0, 0
    hidden = set(idx[head:len(idx) - tail])
    return "".join(char if i in hidden else c for i, c in enumerate(s))


class RecognizerRegistry:
    """Explicit name → recognizer map. Build with :meth:`default` for all built-ins."""

    builtins: ClassVar[tuple[type[Recognizer], ...]] = BUILTINS

    def __init__(self) -> None:
        self._by_name: dict[str, Recognizer] = {}
        self._builtin: set[str] = set()

    @classmethod
    def default(cls) -> RecognizerRegistry:
        reg = cls()
        for rec_cls in cls.builtins:
            reg.register(rec_cls())
            reg._builtin.add(rec_cls.name)
        return reg

    def register(self, recognizer: Recognizer, *, replace: bool = False) -> None:
        """Add ``recognizer``; a built-in name can never be taken, another name only with ``replace``."""
        name = recognizer.name
        if name in self._builtin:
            raise RecognizerConflict(name=name, detail="built-in recognizers cannot be shadowed")
        if name in self._by_name and not replace:
            raise RecognizerConflict(name=name, detail="already registered; pass replace=True")
        self._by_name[name] = recognizer

    def names(self) -> list[str]:
        return list(self._by_name)

    def get(self, name: str) -> Recognizer:
        return self._by_name[name]

    def analyze(self, text: str, entities: Iterable[str] | None = None) -> list[PIFinding]:
        """Non-overlapping findings (PI and content risks each among themselves), by start offset;
        ``entities`` filters by entity type."""
        wanted = set(entities) if entities is not None else None
        found = [f for rec in self._by_name.values() for f in rec.analyze(text)
                 if wanted is None or f.entity_type in wanted]
        found.sort(key=lambda f: (-f.score, -(f.end - f.start), f.start))
        kept: list[PIFinding] = []
        layers: dict[bool, list[PIFinding]] = {True: [], False: []}
        for f in found:
            layer = layers[is_personal(f)]
            if all(f.end <= k.start or f.start >= k.end for k in layer):
                layer.append(f)
                kept.append(f)
        return sorted(kept, key=lambda f: f.start)

    @staticmethod
    def mask(text: str, findings: Iterable[PIFinding], char: str = "*") -> str:
        """``text`` with each finding masked (overlaps: the earlier finding wins)."""
        out, pos = [], 0
        for f in sorted(findings, key=lambda f: (f.start, -f.end)):
            if f.start < pos or f.end > len(text) or text[f.start:f.end] != f.text:
                continue
            out.append(text[pos:f.start])
            out.append(_mask_one(f, char))
            pos = f.end
        out.append(text[pos:])
        return "".join(out)
