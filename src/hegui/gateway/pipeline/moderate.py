"""Steps 2 and 4 — input and output moderation through the :class:`Moderator` contract.

A guided input (正向引导, ``Action.GUIDE``) goes upstream with its guidance as the first system
message, and the answer is then checked strictly (``CheckContext.strict``)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool

from hegui.gateway.metrics import MODERATION_DEGRADED
from hegui.gateway.pipeline.context import RequestContext
from hegui.gateway.services import Services
from hegui.moderation.base import Action, CheckContext, Direction, StreamChecker, Verdict

_INLINE_LIMIT = 8_000  # characters checked on the event loop; longer texts go to a worker thread


def check_context(ctx: RequestContext, strict: bool = False) -> CheckContext:
    return CheckContext(profile=ctx.profile, user_id=ctx.user_id, app_id=ctx.app_id,
                        request_id=ctx.request_id, lang=ctx.lang, strict=strict, prompt=ctx.record.prompt)


async def check(services: Services, ctx: RequestContext, text: str, direction: Direction, *,
                strict: bool = False) -> Verdict:
    """``strict``: the answer to a guided request (its risks' ``guide_output_threshold`` apply)."""
    cc = check_context(ctx, strict)
    if len(text) <= _INLINE_LIMIT:
        verdict = services.moderator.check(text, direction, cc)
    else:
        verdict = await run_in_threadpool(services.moderator.check, text, direction, cc)
    note(ctx, verdict, direction, text)
    return verdict


def stream_checker(services: Services, ctx: RequestContext, *, strict: bool = False) -> StreamChecker:
    return services.moderator.stream(Direction.OUTPUT, check_context(ctx, strict))


def guided(body: dict[str, Any], verdict: Verdict, lang: str) -> dict[str, Any]:
    """The request body with the guidance of a GUIDE verdict as the first system message."""
    if verdict.action is not Action.GUIDE or not verdict.guidance:
        return body
    system = {"role": "system", "content": verdict.guidance_text(lang)}
    return {**body, "messages": [system, *(body.get("messages") or [])]}


def note(ctx: RequestContext, verdict: Verdict, direction: Direction, text: str) -> None:
    """Copy the decision into the pending usage record (and the review queue for ``flag``)."""
    rec = ctx.record
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


def refusal_text(verdict: Verdict, lang: str) -> str:
    zh = verdict.message_zh or "很抱歉，该内容无法提供。"
    en = verdict.message_en or "Sorry, this content cannot be provided."
    return f"{zh}\n{en}" if lang.startswith("zh") else f"{en}\n{zh}"
