"""ModerateInput and ModerateOutput — both directions through the :class:`Moderator` contract
(Interim Measures Arts 4, 14; GB/T 45654 §§7.1, 7.2).

A guided input (正向引导, ``Action.GUIDE``) goes upstream with its guidance as the first system
message, and the answer is then checked strictly (``CheckContext.strict``). Output checks carry
the prompt (``CheckContext.prompt``). A streamed answer is checked by the same step over the
upstream's async iterator: a holdback checker releases only text it has judged.

A safety-off regulator test channel (security-requirements §9; :attr:`Exchange.safety_off`, set
only from the key's channel row) skips both checks: its verdicts are :class:`Bypassed`, which the
record and the API both name as ``bypassed``, never as ``allow``. Labels and records still follow.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.concurrency import run_in_threadpool

from hegui.gateway.metrics import MODERATION_DEGRADED
from hegui.gateway.pipeline.base import Step
from hegui.gateway.pipeline.exchange import Exchange, Flow
from hegui.identity.test_channels import BYPASS_REASON
from hegui.moderation.base import Action, CheckContext, Direction, Verdict

if TYPE_CHECKING:
    from hegui.app.services import Services

_INLINE_LIMIT = 8_000  # characters checked on the event loop; longer texts go to a worker thread


def check_context(ex: Exchange, strict: bool = False) -> CheckContext:
    return CheckContext(profile=ex.profile, user_id=ex.user_id, app_id=ex.app_id,
                        request_id=ex.request_id, lang=ex.lang, strict=strict, prompt=ex.record.prompt)


async def check(services: Services, ex: Exchange, text: str, direction: Direction, *,
                strict: bool = False) -> Verdict:
    """``strict``: the answer to a guided request (its risks' ``guide_output_threshold`` apply)."""
    cc = check_context(ex, strict)
    if len(text) <= _INLINE_LIMIT:
        verdict = services.moderator.check(text, direction, cc)
    else:
        verdict = await run_in_threadpool(services.moderator.check, text, direction, cc)
    note(ex, verdict, direction, text)
    return verdict


def guided(body: dict[str, Any], verdict: Verdict, lang: str) -> dict[str, Any]:
    """The request body with the guidance of a GUIDE verdict as the first system message."""
    if verdict.action is not Action.GUIDE or not verdict.guidance:
        return body
    system = {"role": "system", "content": verdict.guidance_text(lang)}
    return {**body, "messages": [system, *(body.get("messages") or [])]}


def note(ex: Exchange, verdict: Verdict, direction: Direction, text: str) -> None:
    """Copy the decision into the pending usage record (and the review queue for ``flag``)."""
    rec = ex.record
    if direction is Direction.INPUT:
        rec.input_action = verdict.action.value
    else:
        rec.output_action = verdict.action.value
    risks = [{"id": r.risk_id, "score": round(r.score, 4), "direction": direction.value} for r in verdict.risks]
    rec.risks.extend(risks)
    if verdict.decided_by:
        rec.decided_by = verdict.decided_by
    if verdict.action is Action.FLAG:
        rec.review.append((direction.value, risks, text))
    for component in verdict.degraded:  # a component could not judge this text (fail closed)
        MODERATION_DEGRADED.labels(component).inc()


class Bypassed(Verdict):
    """No moderation ran: a safety-off test channel. Passes like ``allow`` in the pipeline, but
    says ``bypassed`` with its reason wherever it is shown."""

    __slots__ = ()
    ACTION = "bypassed"

    def to_dict(self) -> dict:
        return {**Verdict.to_dict(self), "action": self.ACTION, "reason": BYPASS_REASON}


def bypass(ex: Exchange, direction: Direction) -> Bypassed:
    """The verdict of a safety-off test channel's text, noted in the record as ``bypassed``."""
    if not ex.safety_off:  # the only way in: the key's channel row says safety off
        raise RuntimeError("moderation may be bypassed only for a safety-off test channel")
    verdict = Bypassed(action=Action.ALLOW, decided_by=BYPASS_REASON)
    if direction is Direction.INPUT:
        ex.record.input_action = Bypassed.ACTION
    else:
        ex.record.output_action = Bypassed.ACTION
    ex.record.decided_by = BYPASS_REASON
    return verdict


def refusal_text(verdict: Verdict, lang: str) -> str:
    zh = verdict.message_zh or "很抱歉，该内容无法提供。"
    en = verdict.message_en or "Sorry, this content cannot be provided."
    return f"{zh}\n{en}" if lang.startswith("zh") else f"{en}\n{zh}"


class ModerateInput(Step):
    """Every string the model would read, as ``collect`` finds it in the body; a stopping verdict
    decides the answer (the refusal template) and stops the pipeline before the upstream."""

    name: ClassVar[str] = "moderate_input"

    def __init__(self, services: Services, collect: Callable[[dict[str, Any]], str]) -> None:
        self.services = services
        self.collect = collect

    async def run(self, ex: Exchange) -> Flow:
        prompt = ex.record.prompt = self.collect(ex.body)  # after Admit: no text kept for unknown users
        if ex.safety_off:  # the body was still checked and collected: the record keeps the prompt
            ex.input_verdict = bypass(ex, Direction.INPUT)
            return Flow.CONTINUE
        verdict = ex.input_verdict = ex.record.input_verdict = await check(self.services, ex, prompt,
                                                                            Direction.INPUT)
        if not verdict.action.stops:
            return Flow.CONTINUE
        ex.status, ex.finish = "refused", "content_filter"
        ex.answer = refusal_text(verdict, ex.lang)
        return Flow.STOP


class ModerateOutput(Step):
    """A whole answer is checked at once (masked or replaced by the refusal); a stream is checked
    as it arrives, and only judged text is released."""

    name: ClassVar[str] = "moderate_output"

    def __init__(self, services: Services) -> None:
        self.services = services

    async def run(self, ex: Exchange) -> Flow:
        if ex.safety_off and (ex.pieces is not None or ex.result is not None):
            ex.output_verdict = bypass(ex, Direction.OUTPUT)
            if ex.result is not None:
                ex.answer, ex.finish = ex.result.content, ex.result.finish_reason
            return Flow.CONTINUE
        if ex.pieces is not None:
            ex.pieces = self._released(ex, ex.pieces)
            return Flow.CONTINUE
        if ex.result is None:  # no text answer (images)
            return Flow.CONTINUE
        verdict = ex.output_verdict = await check(self.services, ex, ex.result.content, Direction.OUTPUT,
                                                  strict=ex.guided)
        ex.answer, ex.finish = ex.result.content, ex.result.finish_reason
        if verdict.action.stops:
            ex.cut()
            ex.record.withheld = ex.result.content  # evidence, sealed (Interim Measures Art 14)
            ex.answer = refusal_text(verdict, ex.lang)
        elif verdict.action is Action.MASK and verdict.masked_text is not None:
            ex.answer = verdict.masked_text
        return Flow.CONTINUE

    async def _released(self, ex: Exchange, pieces: AsyncIterator[str]) -> AsyncIterator[str]:
        """The holdback checker over the upstream's pieces. ``ex.answer`` (what was released,
        kept by the Blocklist step) is noted with the verdict however the stream ends."""
        checker = ex.checker = self.services.moderator.stream(Direction.OUTPUT, check_context(ex, ex.guided))
        try:
            async with contextlib.aclosing(pieces) as upstream:
                async for piece in upstream:
                    decision = checker.feed(piece)
                    if decision.release:
                        yield decision.release
                    if decision.stopped:
                        ex.cut()
                        break
            if ex.status == "ok":  # the upstream ended: what is held back is judged now
                decision = checker.finish()
                if decision.release:
                    yield decision.release
                if decision.stopped:
                    ex.cut()
            if ex.status == "cut":
                ex.tail.append("\n" + refusal_text(checker.verdict, ex.lang))
        finally:
            ex.output_verdict = checker.verdict
            note(ex, checker.verdict, Direction.OUTPUT, ex.answer + "".join(ex.tail))
