"""Chat completions through the pipeline, non-streaming and streaming (SSE)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson

from hegui.errors import HeguiError, UpstreamError
from hegui.gateway.hooks import BlockHit
from hegui.gateway.pipeline import identity, label, moderate, record, request
from hegui.gateway.pipeline.context import RequestContext
from hegui.gateway.services import Services
from hegui.moderation.base import Action, Direction, StreamChecker, Verdict
from hegui.records.usage import new_content_id

FORWARD_KEYS = request.FORWARD_KEYS
_upstream_body = request.upstream_body


def moderation_info(input_verdict: Verdict, output_verdict: Verdict | None) -> dict[str, Any]:
    """``hegui.moderation`` in every answer, JSON or SSE: ``{input, output}``, output ``null`` when
    the input was refused. The API form of a verdict carries no evidence text (PIPL Art 51)."""
    return {"input": input_verdict.to_api_dict(),
            "output": output_verdict.to_api_dict() if output_verdict is not None else None}


def _completion(ctx: RequestContext, model: str, content: str, finish: str, extra: dict[str, Any],
                usage: dict[str, int]) -> dict[str, Any]:
    return {"id": ctx.record.content_id, "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": finish}],
            "usage": usage or {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "hegui": extra}


async def prepare(services: Services, ctx: RequestContext, body: dict[str, Any], external_user: str | None):
    """Identity and input moderation; returns (upstream, input verdict)."""
    model = body.get("model")
    ctx.record.model = model
    upstream = services.router.for_model(model)
    await identity.admit(services, ctx, external_user)
    prompt = ctx.record.prompt = request.moderated_text(body)  # every string the model reads
    verdict = await moderate.check(services, ctx, prompt, Direction.INPUT)
    ctx.record.input_verdict = verdict
    return upstream, verdict


async def complete(services: Services, ctx: RequestContext, body: dict[str, Any],
                   external_user: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    upstream, verdict = await prepare(services, ctx, body, external_user)
    model = body["model"]
    content_id = ctx.record.content_id = new_content_id()
    info = label.text_label_info(services, content_id)
    headers = {"X-Hegui-Content-Id": content_id, "X-AIGC-Label": label.label_header(services, content_id)}
    if verdict.action.stops:
        text = services.text_label.apply(moderate.refusal_text(verdict, ctx.lang))
        ctx.record.output = text
        ctx.record.label = "text:" + services.text_label.position.value
        await record.commit(services, ctx, "refused")
        info["moderation"] = moderation_info(verdict, None)
        return _completion(ctx, model, text, "content_filter", info, {}), headers
    started = time.perf_counter()
    result = await upstream.chat(_upstream_body(moderate.guided(body, verdict, ctx.lang)))
    ctx.record.upstream_ms = round((time.perf_counter() - started) * 1000, 3)
    out_verdict = await moderate.check(services, ctx, result.content, Direction.OUTPUT,
                                       strict=verdict.action is Action.GUIDE)
    text, finish, status = result.content, result.finish_reason, "ok"
    hit = services.enforcement.blocked_text(text)
    if out_verdict.action.stops or hit:
        ctx.record.withheld = result.content  # evidence, sealed (Interim Measures Art 14)
        text, finish, status = moderate.refusal_text(out_verdict, ctx.lang), "content_filter", "cut"
        if hit:
            ctx.record.output_action = Action.BLOCK.value
            ctx.record.risks.append({"id": "blocklist", "score": hit.similarity, "entry": hit.entry_id})
            text = _blocklist_text(ctx.lang)
    elif out_verdict.action is Action.MASK and out_verdict.masked_text is not None:
        text = out_verdict.masked_text
    labelled = services.text_label.apply(text)
    ctx.record.output = labelled
    ctx.record.label = "text:" + services.text_label.position.value
    info["moderation"] = moderation_info(verdict, out_verdict)
    await record.commit(services, ctx, status)
    return _completion(ctx, model, labelled, finish, info, result.usage), headers


def _blocklist_text(lang: str) -> str:
    zh = "该内容已因违法违规被下架，不再提供。"
    en = "This content was taken down as illegal and is no longer provided."
    return f"{zh}\n{en}" if lang.startswith("zh") else f"{en}\n{zh}"


def _sse(obj: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(obj) + b"\n\n"


_DONE = b"data: [DONE]\n\n"


class _Chunks:
    """SSE chunk bytes for one answer (same id, created and model on every chunk, as OpenAI does).

    Content deltas, one per released piece, are the hot path: their frame is pre-built and only
    the text is encoded per chunk (orjson)."""

    def __init__(self, content_id: str, model: str) -> None:
        self.head = {"id": content_id, "object": "chat.completion.chunk", "created": int(time.time()),
                     "model": model}
        frame = _sse({**self.head, "choices": [{"index": 0, "delta": {"content": "\x00"}, "finish_reason": None}]})
        self._before, _, self._after = frame.rpartition(b'"\\u0000"')  # the delta is the last string

    def content(self, text: str) -> bytes:
        return self._before + orjson.dumps(text) + self._after

    def event(self, delta: dict[str, Any], finish: str | None = None, extra: dict[str, Any] | None = None) -> bytes:
        obj: dict[str, Any] = {**self.head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        if extra is not None:
            obj["hegui"] = extra
        return _sse(obj)


async def stream(services: Services, ctx: RequestContext, body: dict[str, Any],
                 external_user: str | None) -> tuple[AsyncIterator[bytes], dict[str, str]]:
    """Checks that can fail with an HTTP error run before the stream starts; then SSE chunks.

    Events that leave together are joined into one write (one system call and one wake-up of the
    client each, the main per-event cost in the profiles); the last write, with the finish
    reason, goes out only after the usage record is committed. Whatever happens to the client —
    a disconnect or cancellation at any point, an unexpected error — the record is committed in
    ``finally``, shielded from cancellation, with the text sent so far (Interim Measures Art 11)."""
    upstream, verdict = await prepare(services, ctx, body, external_user)
    model = body["model"]
    content_id = ctx.record.content_id = new_content_id()
    ctx.record.stream = True
    headers = {"X-Hegui-Content-Id": content_id, "X-AIGC-Label": label.label_header(services, content_id)}
    info = label.text_label_info(services, content_id)
    tl = services.text_label
    chunks = _Chunks(content_id, model)

    async def events() -> AsyncIterator[bytes]:
        out: list[str] = []  # text released to the client
        generated: list[str] = []  # text the upstream produced (kept as evidence when cut)
        checker: StreamChecker | None = None
        ended = "client_closed"  # the record's status if the answer is cut short
        first = chunks.event({"role": "assistant", "content": ""}, extra=info)
        try:
            if verdict.action.stops:
                text = tl.apply(moderate.refusal_text(verdict, ctx.lang))
                ctx.record.output = text
                ctx.record.label = "text:" + tl.position.value
                await record.commit(services, ctx, "refused")
                yield (first + chunks.content(text)
                       + chunks.event({}, "content_filter", {"moderation": moderation_info(verdict, None),
                                                             "content_id": content_id}) + _DONE)
                return
            if tl.head:
                out.append(tl.head)
                first += chunks.content(tl.head)
            yield first
            checker = moderate.stream_checker(services, ctx, strict=verdict.action is Action.GUIDE)
            status, finish = "ok", "stop"
            tail: list[str] = []  # text after the upstream's, sent with the final event
            hit: BlockHit | None = None  # the stream so far matches a taken-down item

            def taken_down(release: str) -> BlockHit | None:
                """Checked before each release: a taken-down answer is cut near its start (IM Art 14)."""
                return services.enforcement.blocked_partial("".join(out)[len(tl.head):] + release)

            started = time.perf_counter()
            try:
                sent = _upstream_body(moderate.guided(body, verdict, ctx.lang))
                async with contextlib.aclosing(upstream.chat_stream(sent)) as pieces:
                    async for piece in pieces:
                        generated.append(piece)
                        decision = checker.feed(piece)
                        if decision.release:
                            if hit := taken_down(decision.release):
                                status, finish = "cut", "content_filter"
                                break
                            out.append(decision.release)
                            yield chunks.content(decision.release)
                        if decision.stopped:
                            status, finish = "cut", "content_filter"
                            break
                if status == "ok":
                    decision = checker.finish()
                    if decision.release and (hit := taken_down(decision.release)):
                        status, finish = "cut", "content_filter"
                    elif decision.release:
                        out.append(decision.release)
                        yield chunks.content(decision.release)
                    if decision.stopped:
                        status, finish = "cut", "content_filter"
            except HeguiError as exc:
                status, finish = "error", "error"
                ctx.record.error_code = exc.code
                tail.append("\n" + exc.message(ctx.lang))
            ctx.record.upstream_ms = round((time.perf_counter() - started) * 1000, 3)
            out_verdict = checker.verdict
            text = "".join(out)
            moderate.note(ctx, out_verdict, Direction.OUTPUT, text + "".join(tail))
            if hit is None and status == "ok":
                if hit := services.enforcement.blocked_text(text[len(tl.head):]):
                    status, finish = "cut", "content_filter"
            if hit is not None:
                ctx.record.output_action = Action.BLOCK.value
                ctx.record.risks.append({"id": "blocklist", "score": hit.similarity, "entry": hit.entry_id})
                tail.append("\n" + _blocklist_text(ctx.lang))
            elif status == "cut":
                tail.append("\n" + moderate.refusal_text(out_verdict, ctx.lang))
            if status == "cut" and "".join(generated) != text[len(tl.head):]:
                ctx.record.withheld = "".join(generated)  # what was held back, sealed as evidence
            if tl.tail:
                tail.append(tl.tail)
            ctx.record.output = text + "".join(tail)
            ctx.record.label = "text:" + tl.position.value
            await record.commit(services, ctx, status)
            yield (b"".join(chunks.content(t) for t in tail)
                   + chunks.event({}, finish, {"moderation": moderation_info(verdict, out_verdict),
                                               "content_id": content_id})
                   + _DONE)
        except (GeneratorExit, asyncio.CancelledError):
            raise  # the client went away; ``finally`` records what it was sent
        except BaseException as exc:
            ended = "error"
            ctx.record.error_code = ctx.record.error_code or getattr(exc, "code", HeguiError.code)
            raise
        finally:
            if not ctx.committed:
                ctx.record.output = "".join(out)
                ctx.record.label = "text:" + tl.position.value
                if checker is not None and ctx.record.output_action is None:
                    moderate.note(ctx, checker.verdict, Direction.OUTPUT, ctx.record.output)
                await record.commit_unfinished(services, ctx, ended)

    return events(), headers


__all__ = ["complete", "stream", "UpstreamError"]
