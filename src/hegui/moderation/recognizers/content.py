"""Content-risk recognizers: findings that name a GB/T 45654 content risk, not personal information.

The PI recognizers report spans to mask (PIPL Arts 28, 51) and the engine answers them with the
profile's ``personal_information`` action. A content recognizer (platform abuse: obfuscated contact
handles, black-market, gambling, porn and fraud lures) reports a risk like the lexicon does, so the
engine applies that risk's own rule (threshold → action, flag_threshold → flag) instead
(Interim Measures Art 14; GB/T 45654 §7). :class:`ContentFinding` marks the difference with the
class attribute ``personal = False`` (plain :class:`PIFinding` objects count as personal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from hegui.moderation.recognizers.base import PIFinding, Recognizer


@dataclass(frozen=True, slots=True)
class ContentFinding(PIFinding):
    """A recognizer finding of a content risk; ``platform`` and ``canonical`` describe a contact
    handle (e.g. ``qq`` and the decoded number), ``category`` a lure (e.g. ``gambling``)."""

    personal: ClassVar[bool] = False
    platform: str = ""
    canonical: str = ""
    category: str = ""


def is_personal(finding: object) -> bool:
    """True for personal-information findings (anything that does not say ``personal = False``)."""
    return bool(getattr(finding, "personal", True))


class ContentRecognizer(Recognizer):
    """Base class of content recognizers: :meth:`content` builds :class:`ContentFinding` objects."""

    risk_ids: ClassVar[tuple[str, ...]] = ("A3e",)

    def content(self, start: int, end: int, text: str, score: float, *, entity_type: str | None = None,
                risk_id: str | None = None, platform: str = "", canonical: str = "",
                category: str = "") -> ContentFinding:
        return ContentFinding(start, end, text[start:end], entity_type or self.entity_type,
                              risk_id or self.risk_ids[0], score, self.name, platform, canonical, category)
