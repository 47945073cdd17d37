"""The seam between the registry of protected voices and faces and the gateway (Deep Synthesis
Provisions Art 14): the gateway asks ``match(kind, data)`` for every reference and output."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Match:
    likeness_id: str
    kind: str
    score: float
    threshold: float


class ProtectedMatcher(Protocol):
    def match(self, kind: str, data: bytes) -> Match | None: ...
