"""``POST /v1/hegui/inspect`` — the distribution platform's check of an upload (Labeling Measures
Art 6; GB 45438-2025 Annex E): class, notice, evidence, and the file with the platform's
propagation fields when asked. The decision and its record live in :mod:`hegui.labeling.service`.

Bounds per upload: ``platform.max_upload_bytes`` counted while the body streams (the multipart
parser spools at most 1 MiB in memory, the rest to a temporary file), ``platform.timeout_seconds``
on a pool of ``platform.workers`` threads, and ``throttle.inspect_requests`` per API key.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import logging
import tempfile
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from hegui.errors import HeguiError, ValidationFailed
from hegui.gateway.deps import app_id_of, bearer, services_of
from hegui.gateway.errors import error_response
from hegui.gateway.middleware.body_limit import BodyTooLarge
from hegui.identity.crypto import token_hash
from hegui.labeling import service

if TYPE_CHECKING:
    from hegui.app.services import Services

log = logging.getLogger("hegui.gateway")
PATH = "/v1/hegui/inspect"
#: multipart framing and the small fields around the file
FORM_OVERHEAD = 64 << 10
_MEDIA_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif",
                "tiff": "image/tiff", "heif": "image/heif", "wav": "audio/wav", "mp3": "audio/mpeg",
                "flac": "audio/flac", "ogg": "audio/ogg", "mp4": "video/mp4", "mkv": "video/x-matroska",
                "avi": "video/x-msvideo", "flv": "video/x-flv", "pdf": "application/pdf",
                "markdown": "text/markdown", "html": "text/html"}

router = APIRouter()


def body_limit(services: Services) -> int:
    """The body-limit middleware's bound for :data:`PATH` (registered by ``create_app``)."""
    return services.settings.platform.max_upload_bytes + FORM_OVERHEAD


def _pool(request: Request) -> concurrent.futures.ThreadPoolExecutor:
    pool = getattr(request.app.state, "inspect_pool", None)
    if pool is None:
        workers = services_of(request).settings.platform.workers
        pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="hegui-inspect")
        request.app.state.inspect_pool = pool
    return pool


def shutdown(app: object) -> None:
    """Stop the inspection pool at server shutdown (queued jobs cancelled, running ones not waited for)."""
    pool = getattr(getattr(app, "state", None), "inspect_pool", None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


async def _counted(request: Request, limit: int, seen: list[int]) -> AsyncGenerator[bytes, None]:
    async for chunk in request.stream():
        seen[0] += len(chunk)
        if seen[0] > limit:
            raise service.UploadTooLarge(limit=limit - FORM_OVERHEAD)
        yield chunk


def _flag(value: str | None) -> bool:
    v = (value or "").strip().lower()
    if v in ("", "0", "false", "no", "off"):
        return False
    if v in ("1", "true", "yes", "on"):
        return True
    raise ValidationFailed(detail=f"propagate: {value!r} is not a boolean (true/false)")


_OPENAPI = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "the upload (≤ platform.max_upload_bytes)"},
        "declared": {"type": "string", "enum": ["ai", "human", "not_ai", "unknown"],
                     "description": "the uploader's declaration (Labeling Measures Art 6 (2), (4))"},
        "propagate": {"type": "boolean", "description": "return the file with the platform's propagation fields"},
    }}}}}}


@router.post(PATH, openapi_extra=_OPENAPI)
async def inspect_upload(request: Request):
    """Multipart ``file`` + ``declared`` (ai | human | not_ai | unknown) + ``propagate`` (bool) →
    class, notice (zh/en), evidence without content, and the propagated file (base64) if asked."""
    services = services_of(request)
    app_id = await app_id_of(request)
    key = bearer(request) or app_id
    await services.db.run(lambda: services.throttle.hit("inspect_requests", token_hash(key), hint=key[:10]))
    cfg = services.settings.platform
    ctype = request.headers.get("content-type", "")
    if not ctype.lower().startswith("multipart/form-data"):
        raise ValidationFailed(detail="send multipart/form-data with a 'file' part")
    seen = [0]
    tmp = Path(tempfile.mkdtemp(prefix="hegui-inspect-"))
    declared: str | None = None
    size, sha256 = 0, ""
    try:
        parser = MultiPartParser(request.headers, _counted(request, body_limit(services), seen),
                                 max_files=1, max_fields=4, max_part_size=1024)
        try:
            form = await parser.parse()
        except MultiPartException as exc:
            raise ValidationFailed(detail=f"multipart: {exc.message}") from exc
        except BodyTooLarge as exc:  # the middleware's count of a body sent without a length
            raise service.UploadTooLarge(limit=cfg.max_upload_bytes) from exc
        try:
            upload = form.get("file")
            declared = service.parse_declared(_text(form.get("declared")))
            propagate = _flag(_text(form.get("propagate")))
            if not isinstance(upload, UploadFile):
                raise ValidationFailed(detail="the 'file' part is missing or not a file")
            size, sha256 = await asyncio.to_thread(service.stage, upload.file, tmp / "upload", cfg.max_upload_bytes)
        finally:
            await form.close()
        propagator = cfg.code or services.settings.service.provider_code
        notices = service.notices_for(cfg.notices_file)
        job = _pool(request).submit(service.decide, tmp / "upload", filename=upload.filename, declared=declared,
                                    size=size, sha256=sha256, propagate=propagate, propagator=propagator,
                                    out_dir=tmp, notices=notices, max_watermark_pixels=cfg.max_watermark_pixels)
        try:
            decision = await asyncio.wait_for(asyncio.wrap_future(job), cfg.timeout_seconds)
        except TimeoutError as exc:
            raise service.InspectionTimeout(seconds=cfg.timeout_seconds) from exc
        except Exception as exc:  # noqa: BLE001 - a broken inspection is recorded as an error, never a pass
            log.exception("inspection failed")
            detail = exc.message("en") if isinstance(exc, HeguiError) else type(exc).__name__
            raise service.InspectionFailed(detail=detail[:200]) from exc
        payload = decision.to_dict()
        payload["platform"] = {"name": cfg.name or services.settings.service.provider_name, "code": propagator}
        if decision.output is not None:
            data = await asyncio.to_thread(decision.output.read_bytes)
            carrier = decision.evidence.get("carrier") or ""
            payload["file"] = {"filename": _out_name(upload.filename, decision.output.suffix),
                               "media_type": _MEDIA_TYPES.get(carrier, "application/octet-stream"),
                               "size": len(data), "base64": base64.b64encode(data).decode("ascii")}

        def save() -> str:
            with services.db.session() as s:
                return service.record(s, decision, app_id)

        payload["id"] = await services.db.run(save)
        return JSONResponse(payload, headers={"X-Request-Id": getattr(request.state, "request_id", "") or ""})
    except (service.UploadTooLarge, service.InspectionTimeout, service.InspectionFailed) as err:
        await _record_failure(services, app_id, declared, max(size, seen[0] - FORM_OVERHEAD, 0) if not sha256
                              else size, sha256, err)
        return error_response(err, request)
    finally:
        service.discard(tmp)


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValidationFailed(detail="declared and propagate are text fields, not files")


def _out_name(filename: str | None, suffix: str) -> str:
    stem = Path(filename or "upload").stem
    safe = "".join(c for c in stem if c.isalnum() or c in "-_")[:80] or "upload"
    return f"{safe}.propagated{suffix}"


async def _record_failure(services: Services, app_id: str, declared: str | None, size: int, sha256: str,
                          err: HeguiError) -> None:
    def save() -> None:
        with services.db.session() as s:
            service.record_failure(s, app_id=app_id, declared=declared, size=size, sha256=sha256, error=err)

    await services.db.run(save)
