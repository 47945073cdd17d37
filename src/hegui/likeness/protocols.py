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
