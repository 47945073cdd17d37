"""The seam where the registry of protected voices and faces plugs into synthesis requests
(DS Provisions Arts 14, 17): the gateway calls :meth:`ProtectedMatcher.match` on a request's
reference input and on its output; a match is blocked unless the request's consent is for the
matched entry (``LikenessConsent.likeness_id``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class Match:
    """A registered protected likeness that ``data`` matched: its id, the similarity and the
    calibrated threshold it crossed, and the encoder (model id + version) that compared them."""

    likeness_id: str
    score: float
    threshold: float = 0.0
    encoder: str = ""
    kind: str = ""  # voice | face


@runtime_checkable
class ProtectedMatcher(Protocol):
    def match(self, kind: str, data: bytes) -> Match | None:
        """``kind``: ``voice`` (audio bytes) or ``face`` (image bytes); the best match above the
        threshold, or ``None``. Raises when it cannot judge (the caller fails closed)."""
        ...
