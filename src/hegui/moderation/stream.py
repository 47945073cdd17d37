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

from typing import Any, Protocol

from hegui.moderation.base import (Action, CheckContext, Direction, Moderator, RiskFinding, StreamDecision,
                                   Verdict)

QUICK_CONTEXT = 128  # characters before a new chunk the streaming lexicon look re-reads


def combine(a: Verdict, b: Verdict) -> Verdict:
    """Strictest action wins; risks are merged by id keeping the highest score; a component that
    could not judge any part stays listed as degraded."""
    first, second = (a, b) if a.action.rank >= b.action.rank else (b, a)
    risks = {r.risk_id: r for r in second.risks}
    for r in first.risks:
        if r.risk_id not in risks or risks[r.risk_id].score <= r.score:
            risks[r.risk_id] = r
    return Verdict(action=first.action, risks=list(risks.values()), message_zh=first.message_zh,
                   message_en=first.message_en, decided_by=first.decided_by or second.decided_by,
                   latency_ms=a.latency_ms + b.latency_ms, guidance=first.guidance or second.guidance,
                   degraded=list(dict.fromkeys(a.degraded + b.degraded)))


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


class _LexiconLook(Moderator, Protocol):
    def lexicon_stops(self, text: str, direction: Direction, context: CheckContext | None = None) -> bool: ...


class PolicyStreamChecker(HoldbackStreamChecker):
    """The generic holdback checker with a full check (lexicon, classifier, recognizers) at most
    every ``check_every`` new characters — token streams arrive a few characters at a time and
    unchecked text is held, never released — and, in between, a lexicon-only look at each new chunk
    (with :data:`QUICK_CONTEXT` characters before it): when that finds a stopping term the full check
    runs at once, so a listed term still ends the stream as soon as it is complete. Masks only
    concrete spans (not whole-text classifier evidence)."""

    _moderator: _LexiconLook  # type: ignore[assignment]

    def __init__(self, *args: Any, check_every: int = 128, **kwargs: Any) -> None:
        super().__init__(*args, check_every=check_every, **kwargs)

    def feed(self, chunk: str) -> StreamDecision:
        if self._stopped:
            return StreamDecision("", self._verdict)
        self._text += chunk
        if self._ready() >= self._check_every:
            return self._step(final=False)
        if chunk and self._moderator.lexicon_stops(self._text[-(len(chunk) + QUICK_CONTEXT):],
                                                   self._direction, self._context):
            return self._step(final=False)
        return StreamDecision("")

    def _mask(self, out: str, verdict: Verdict) -> str:
        spans = Verdict(verdict.action, [RiskFinding(r.risk_id, r.score, [e for e in r.evidence if e.text])
                                         for r in verdict.risks])
        return super()._mask(out, spans)
