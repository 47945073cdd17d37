"""Streaming output moderation with a holdback window (Interim Measures Art 14, GB/T 45654 §7).

Nothing reaches the client unchecked: the unreleased text is checked together with an overlap of
the text before it (so a term split across chunks is still found), and the last ``holdback``
characters are held back until more text, or the end, confirms them. A check runs once at least
``check_every`` characters beyond the holdback are waiting (1: at every chunk that frees text; token
streams arrive a few characters at a time, so engines with costly checks use more); text waiting for
a check is held, never released. On a stopping verdict the stream ends and the caller sends the
risk's refusal template instead.
"""

from __future__ import annotations

from hegui.moderation.base import (Action, CheckContext, Direction, Moderator, StreamDecision,
                                   Verdict)


def combine(a: Verdict, b: Verdict) -> Verdict:
    """Strictest action wins; risks are merged by id keeping the highest score."""
    first, second = (a, b) if a.action.rank >= b.action.rank else (b, a)
    risks = {r.risk_id: r for r in second.risks}
    for r in first.risks:
        if r.risk_id not in risks or risks[r.risk_id].score <= r.score:
            risks[r.risk_id] = r
    return Verdict(action=first.action, risks=list(risks.values()), message_zh=first.message_zh,
                   message_en=first.message_en, decided_by=first.decided_by or second.decided_by,
                   latency_ms=a.latency_ms + b.latency_ms)


class HoldbackStreamChecker:
    """Generic incremental checker over any :class:`Moderator`."""

    def __init__(self, moderator: Moderator, direction: Direction, context: CheckContext | None = None,
                 *, holdback: int = 24, overlap: int = 64, check_every: int = 1) -> None:
        if holdback < 0 or overlap < 0:
            raise ValueError("holdback and overlap must be >= 0")
        self._check_every = max(1, check_every)
        self._moderator = moderator
        self._direction = direction
        self._context = context
        self._holdback = holdback
        self._overlap = max(overlap, holdback)
        self._buf: list[str] = []
        self._text = ""  # unreleased tail plus overlap context
        self._offset = 0  # absolute offset of self._text[0]
        self._released = 0  # absolute offset up to which text was released
        self._verdict = Verdict.allow()
        self._stopped = False

    @property
    def verdict(self) -> Verdict:
        return self._verdict

    def feed(self, chunk: str) -> StreamDecision:
        if self._stopped:
            return StreamDecision("", self._verdict)
        self._text += chunk
        if self._ready() < self._check_every:
            return StreamDecision("")
        return self._step(final=False)

    def _ready(self) -> int:
        """Characters beyond the holdback that are neither released nor checked yet."""
        return self._offset + len(self._text) - self._holdback - self._released

    def finish(self) -> StreamDecision:
        if self._stopped:
            return StreamDecision("", self._verdict)
        return self._step(final=True)

    def _step(self, *, final: bool) -> StreamDecision:
        end = self._offset + len(self._text)
        release_to = end if final else max(self._released, end - self._holdback)
        if release_to == self._released and not final:
            return StreamDecision("")
        verdict = self._moderator.check(self._text, self._direction, self._context)
        self._verdict = combine(self._verdict, verdict)
        if verdict.action.stops:
            self._stopped = True
            return StreamDecision("", self._verdict)
        out = self._text[self._released - self._offset: release_to - self._offset]
        if verdict.action is Action.MASK:
            out = self._mask(out, verdict)
        self._released = release_to
        keep_from = max(self._offset, self._released - self._overlap)
        self._text = self._text[keep_from - self._offset:]
        self._offset = keep_from
        return StreamDecision(out, verdict if verdict.action is not Action.ALLOW else None)

    def _mask(self, out: str, verdict: Verdict) -> str:
        base = self._released - self._offset
        chars = list(out)
        for risk in verdict.risks:
            for ev in risk.evidence:
                for i in range(max(ev.start - base, 0), min(ev.end - base, len(chars))):
                    chars[i] = "*"
        return "".join(chars)
