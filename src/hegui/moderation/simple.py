"""The simplest honest moderator: a literal term list per risk.

Used when no policy engine is configured and in tests of the gateway's wiring. The full engine
(``hegui.moderation.engine``) implements the same :class:`~hegui.moderation.base.Moderator`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from hegui.moderation.base import (Action, CheckContext, Direction, Evidence, RiskFinding,
                                   StreamChecker, Verdict)
from hegui.moderation.stream import HoldbackStreamChecker

REFUSAL_ZH = "很抱歉，该请求涉及违法或不良信息（{risks}），无法提供。"
REFUSAL_EN = "Sorry, this request involves illegal or harmful content ({risks}) and cannot be served."


class TermListModerator:
    """Refuses texts that contain any listed term (case-insensitive substring)."""

    name = "term-list"

    def __init__(self, terms: Mapping[str, str], *, action: Action = Action.REFUSE) -> None:
        self._terms = {t.casefold(): risk for t, risk in terms.items() if t}
        self._action = action

    def check(self, text: str, direction: Direction, context: CheckContext | None = None) -> Verdict:
        started = time.perf_counter()
        folded = text.casefold()
        found: dict[str, RiskFinding] = {}
        for term, risk in self._terms.items():
            pos = folded.find(term)
            if pos >= 0:
                ev = Evidence(pos, pos + len(term), text[pos:pos + len(term)], f"{self.name}:{term}")
                found.setdefault(risk, RiskFinding(risk, 1.0)).evidence.append(ev)
        latency = (time.perf_counter() - started) * 1000
        if not found:
            return Verdict(Action.ALLOW, decided_by=self.name, latency_ms=latency)
        ids = ", ".join(sorted(found))
        return Verdict(self._action, list(found.values()), REFUSAL_ZH.format(risks=ids),
                       REFUSAL_EN.format(risks=ids), decided_by=self.name, latency_ms=latency)

    def stream(self, direction: Direction, context: CheckContext | None = None) -> StreamChecker:
        return HoldbackStreamChecker(self, direction, context)
