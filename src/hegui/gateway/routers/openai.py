"""The OpenAI-compatible surface: chat completions (SSE too), image generations, speech, models."""

from __future__ import annotations

import re
import time

import anyio
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from hegui.errors import NotFound
from hegui.gateway.deps import caller_of, lang_of, services_of
from hegui.identity.apps import Caller
from hegui.gateway.pipeline import chat, images, speech
from hegui.gateway.pipeline.exchange import Exchange
from hegui.storage.models import UsageRecord

router = APIRouter()


class ClosingStreamingResponse(StreamingResponse):
    """A streaming response that always closes its body iterator, so the pipeline's ``finally``
    (the usage record of a cut-short stream) runs at once when the client goes away — even before
    the first chunk was asked for — not when the abandoned generator is garbage-collected
    (Starlette leaves it suspended at its ``yield``)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                aclose = getattr(self.body_iterator, "aclose", None)
                if aclose is not None:
                    await aclose()


def _exchange(request: Request, endpoint: str, caller: Caller) -> Exchange:
    """The request's exchange; its body is read by the pipeline's first step, so a request that
    fails from there on leaves a record. A test channel comes from the key alone."""
    given = getattr(request.state, "request_id", None)  # made by RequestIdMiddleware
    ex = Exchange(endpoint=endpoint, app_id=caller.app_id, lang=lang_of(request), read_body=request.body,
                  external_user=request.headers.get("x-hegui-user"), channel=caller.channel,
                  **({"request_id": given} if given else {}))
    request.state.request_id = ex.request_id
    return ex


@router.post("/v1/chat/completions")
async def chat_completions(request: Request):
    services = services_of(request)
    ex = _exchange(request, "chat.completions", await caller_of(request, model_endpoint=True))
    answer, headers = await chat.answer(services, ex)
    if isinstance(answer, dict):
        return Response(orjson.dumps(answer), media_type="application/json",  # orjson: cheaper than json.dumps
                        headers={**headers, "X-Request-Id": ex.request_id})
    return ClosingStreamingResponse(answer, media_type="text/event-stream",
                                    headers={**headers, "Cache-Control": "no-cache", "X-Request-Id": ex.request_id})


@router.post("/v1/images/generations")
async def image_generations(request: Request):
    services = services_of(request)
    ex = _exchange(request, "images.generations", await caller_of(request, model_endpoint=True))
    base = services.settings.server.public_url or str(request.base_url)
    payload, headers = await images.generate(services, ex, base)
    return JSONResponse(payload, headers={**headers, "X-Request-Id": ex.request_id})


@router.post("/v1/audio/speech")
async def audio_speech(request: Request):
    """Text to speech, labelled (GB 45438 §5.3, §6): the audio file's bytes."""
    services = services_of(request)
    ex = _exchange(request, "audio.speech", await caller_of(request, model_endpoint=True))
    audio, media_type, headers = await speech.generate(services, ex)
    return Response(audio, media_type=media_type, headers={**headers, "X-Request-Id": ex.request_id})


@router.get("/v1/models")
async def list_models(request: Request):
    services = services_of(request)
    await caller_of(request, model_endpoint=True)
    now = int(time.time())
    return {"object": "list", "data": [{"id": m, "object": "model", "created": now, "owned_by": owner}
                                       for m, owner in services.router.models()]}


@router.get("/v1/models/{model_id}")
async def retrieve_model(request: Request, model_id: str):
    """One model, as ``client.models.retrieve(id)`` asks for it; 404 for a model not served."""
    services = services_of(request)
    await caller_of(request, model_endpoint=True)
    for m, owner in services.router.models():
        if m == model_id:
            return {"id": m, "object": "model", "created": int(time.time()), "owned_by": owner}
    raise NotFound(message_en=f"unknown model '{model_id}'; see GET /v1/models",
                   message_zh=f"未知模型 '{model_id}'，可用模型见 GET /v1/models")


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
