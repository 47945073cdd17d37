"""The OpenAI-compatible surface: chat completions (SSE too), image generations, models."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request
import anyio
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send
from sqlalchemy import select

from hegui.errors import HeguiError, NotFound, ValidationFailed
from hegui.gateway.deps import app_id_of, json_body, lang_of, services_of
from hegui.gateway.pipeline import chat, images, record
from hegui.gateway.pipeline.context import RequestContext
from hegui.storage.models import UsageRecord

router = APIRouter()
_MAX_MESSAGES = 1000


def _validate_chat(body: dict[str, Any]) -> None:
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise ValidationFailed(detail="'model' must be a non-empty string")
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs or len(msgs) > _MAX_MESSAGES:
        raise ValidationFailed(detail=f"'messages' must be a list of 1–{_MAX_MESSAGES} messages")
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise ValidationFailed(detail=f"messages[{i}] must be an object with a 'role'")
        if not isinstance(m.get("content"), (str, list, type(None))):
            raise ValidationFailed(detail=f"messages[{i}].content must be a string or a list of parts")


class ClosingStreamingResponse(StreamingResponse):
    """A streaming response that always closes its body iterator, so the pipeline's ``finally``
    (the usage record of a cut-short stream) runs at once when the client goes away, not when the
    abandoned generator is garbage-collected (Starlette leaves it suspended at its ``yield``);
    ``on_close`` then runs too, for a client gone before the first chunk was even asked for."""

    def __init__(self, content: AsyncIterator[bytes], *, on_close: Callable[[], Awaitable[None]],
                 **kw: Any) -> None:
        super().__init__(content, **kw)
        self.on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                aclose = getattr(self.body_iterator, "aclose", None)
                if aclose is not None:
                    await aclose()
                await self.on_close()


def _user(request: Request, body: dict[str, Any]) -> str | None:
    user = body.get("user") or request.headers.get("x-hegui-user")
    return user if isinstance(user, str) else None


@router.post("/v1/chat/completions")
async def chat_completions(request: Request):
    services = services_of(request)
    app_id = await app_id_of(request)
    ctx = RequestContext(endpoint="chat.completions", app_id=app_id, lang=lang_of(request))
    request.state.request_id = ctx.request_id
    try:
        body = await json_body(request)
        _validate_chat(body)
        if body.get("stream"):
            events, headers = await chat.stream(services, ctx, body, _user(request, body))
            return ClosingStreamingResponse(events, media_type="text/event-stream",
                                            on_close=lambda: record.commit_unfinished(services, ctx, "client_closed"),
                                            headers={**headers, "Cache-Control": "no-cache", "X-Request-Id": ctx.request_id})
        payload, headers = await chat.complete(services, ctx, body, _user(request, body))
        return Response(orjson.dumps(payload), media_type="application/json",  # orjson: cheaper than json.dumps
                        headers={**headers, "X-Request-Id": ctx.request_id})
    except HeguiError as exc:
        await record.commit_failure(services, ctx, exc)
        raise
    except asyncio.CancelledError:  # the server cancelled the request (client gone, shutdown)
        await record.commit_unfinished(services, ctx, "client_closed")
        raise
    except Exception:
        ctx.record.error_code = HeguiError.code
        await record.commit_unfinished(services, ctx, "error")
        raise


@router.post("/v1/images/generations")
async def image_generations(request: Request):
    services = services_of(request)
    app_id = await app_id_of(request)
    ctx = RequestContext(endpoint="images.generations", app_id=app_id, lang=lang_of(request))
    request.state.request_id = ctx.request_id
    try:
        body = await json_body(request)
        base = services.settings.server.public_url or str(request.base_url)
        payload, headers = await images.generate(services, ctx, body, _user(request, body), base)
        return JSONResponse(payload, headers={**headers, "X-Request-Id": ctx.request_id})
    except HeguiError as exc:
        if ctx.record.status == "error" and not ctx.record.total_ms:
            await record.commit_failure(services, ctx, exc)
        raise


@router.get("/v1/models")
async def list_models(request: Request):
    services = services_of(request)
    await app_id_of(request)
    now = int(time.time())
    return {"object": "list", "data": [{"id": m, "object": "model", "created": now, "owned_by": owner}
                                       for m, owner in services.router.models()]}


_OUTPUT_NAME = re.compile(r"^(hgc-[0-9a-f]{32})(?:\.\d+)?\.png$")


@router.get("/v1/outputs/{name}")
async def get_output(request: Request, name: str):
    """Serve a labeled image output unless it was taken down."""
    services = services_of(request)
    m = _OUTPUT_NAME.match(name)
    if not m:
        raise NotFound(detail=name)

    def taken_down() -> bool | None:
        with services.db.session() as s:
            row = s.execute(select(UsageRecord.taken_down_at).where(UsageRecord.content_id == m.group(1))).first()
            return None if row is None else row.taken_down_at is not None

    state = await run_in_threadpool(taken_down)
    path = services.outputs_dir / name
    if state is None or state or not path.exists():
        raise NotFound(detail=name)
    return FileResponse(path, media_type="image/png")
