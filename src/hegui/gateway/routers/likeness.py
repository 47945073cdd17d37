"""Routes of the likeness duty (Deep Synthesis Provisions Arts 14, 17; PIPL Arts 28–29):

- ``POST /v1/hegui/consents`` (JSON for an in-app confirmation; multipart with the signed document
  for ``signed_upload``), ``GET /v1/hegui/consents``, ``GET /v1/hegui/consents/{id}``,
  ``POST /v1/hegui/consents/{id}/revoke`` — app-scoped: an app grants, sees and revokes its own;
- ``POST /v1/hegui/voice/clone`` and ``POST /v1/hegui/face/swap`` — multipart, refused without a
  consent in force (``consent_id`` form field or ``X-Hegui-Consent`` header).

Links to the protected-likeness register (``likeness_id``) are set by the operator only
(``hegui consent grant --likeness-id``): an app cannot unlock a protected person by itself.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from hegui.errors import ValidationFailed
from hegui.gateway.deps import caller_of, json_body, lang_of, services_of
from hegui.gateway.pipeline import likeness
from hegui.likeness.consent import ConsentRegistry, view

router = APIRouter()
_GRANT_FIELDS = ("kind", "uses", "subject_ref", "subject_name", "user", "deceased", "party", "relation",
                 "no_closer_relative", "method", "confirmation", "confirmed_at", "valid_from", "valid_until",
                 "reference_sample_b64")


def register(app: FastAPI) -> None:
    """Mount the routes; the upload paths get their own body limit (two files and the fields)."""
    app.include_router(router)
    cfg = app.state.services.settings.likeness_api
    for path in ("/v1/hegui/voice/clone", "/v1/hegui/face/swap", "/v1/hegui/consents"):
        app.state.body_limits[path] = 2 * cfg.max_upload_bytes * 4 // 3 + 1_000_000


def _flag(v: Any, name: str) -> bool:
    if isinstance(v, bool) or v is None:
        return bool(v)
    if isinstance(v, str) and v.strip().lower() in ("true", "1", "yes", "false", "0", "no", ""):
        return v.strip().lower() in ("true", "1", "yes")
    raise ValidationFailed(message_en=f"'{name}' must be true or false", message_zh=f"{name} 须为 true 或 false")


def _str(v: Any, name: str) -> str | None:
    if v is None:
        return None
    if not isinstance(v, str):
        raise ValidationFailed(message_en=f"'{name}' must be a string", message_zh=f"{name} 须为字符串")
    return v


def _uses(v: Any) -> list[str]:
    if isinstance(v, str):
        return [u for u in v.replace(",", " ").split() if u]
    if isinstance(v, list) and all(isinstance(u, str) for u in v) and len(v) <= 8:
        return v
    raise ValidationFailed(message_en="'uses' must be a list of strings", message_zh="uses 须为字符串列表")


async def _grant_input(request: Request, max_bytes: int) -> tuple[dict[str, Any], bytes | None]:
    """The grant's fields, and the signed document of a multipart request (``document``)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await json_body(request), None
    try:
        form = await request.form(max_files=1, max_fields=32, max_part_size=100_000)
    except Exception as exc:  # noqa: BLE001 - starlette's multipart errors: a bad request, said so
        raise ValidationFailed(message_en=f"the multipart form could not be read: {getattr(exc, 'detail', exc)}",
                               message_zh=f"无法读取 multipart 表单：{getattr(exc, 'detail', exc)}") from exc
    try:
        body: dict[str, Any] = {k: form.get(k) for k in _GRANT_FIELDS if isinstance(form.get(k), str)}
        if form.getlist("uses"):
            body["uses"] = [u for u in form.getlist("uses") if isinstance(u, str)]
        doc = form.get("document")
        data = None
        if doc is not None and not isinstance(doc, str):
            data = await doc.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise ValidationFailed(message_en=f"the signed document is larger than {max_bytes} bytes",
                                       message_zh=f"签署文件超过 {max_bytes} 字节")
        return body, data
    finally:
        await form.close()


@router.post("/v1/hegui/consents")
async def grant_consent(request: Request):
    """Record a separate consent for this app (DS Art 14(2)); 201 with the consent (no PI)."""
    from hegui.governance.common import parse_time

    services = services_of(request)
    caller = await caller_of(request)
    cfg = services.settings.likeness_api
    body, document = await _grant_input(request, min(cfg.max_upload_bytes, 10_000_000))
    unknown = set(body) - set(_GRANT_FIELDS)
    if unknown:
        raise ValidationFailed(message_en=f"unknown field(s): {', '.join(sorted(unknown))[:200]}",
                               message_zh=f"未知字段：{', '.join(sorted(unknown))[:200]}")
    sample = None
    if body.get("reference_sample_b64"):  # the person's voice or face: requests citing the consent must match it
        try:
            sample = base64.b64decode(_str(body["reference_sample_b64"], "reference_sample_b64") or "", validate=True)
        except binascii.Error as exc:
            raise ValidationFailed(message_en="reference_sample_b64 is not base64",
                                   message_zh="reference_sample_b64 不是 base64") from exc
    registry = ConsentRegistry(services.db, services.keys)

    def grant() -> dict[str, Any]:
        kind = _str(body.get("kind"), "kind") or ""
        embedding = services.likeness_matcher.enrol(kind, sample) if sample and services.likeness_matcher else None
        if sample and embedding is None:
            raise ValidationFailed(message_en="no encoder to enrol the reference sample",
                                   message_zh="无比对模型，无法登记参考样本")
        user_id = None
        external = _str(body.get("user"), "user")
        if external:
            with services.db.session() as s:
                user_id = services.identity.get(s, caller.app_id, external).id
        row = registry.grant(
            kind=kind, uses=_uses(body.get("uses") or []),
            subject_ref=_str(body.get("subject_ref"), "subject_ref") or "",
            subject_name=_str(body.get("subject_name"), "subject_name"), app_id=caller.app_id, user_id=user_id,
            deceased=_flag(body.get("deceased"), "deceased"), party=_str(body.get("party"), "party") or "subject",
            relation=_str(body.get("relation"), "relation"),
            no_closer_relative=_flag(body.get("no_closer_relative"), "no_closer_relative"),
            method=_str(body.get("method"), "method") or "", evidence=document,
            confirmation=_str(body.get("confirmation"), "confirmation"),
            confirmed_at=parse_time(_str(body.get("confirmed_at"), "confirmed_at"), "confirmed_at"),
            valid_from=parse_time(_str(body.get("valid_from"), "valid_from"), "valid_from"),
            valid_until=parse_time(_str(body.get("valid_until"), "valid_until"), "valid_until"),
            reference_embedding=embedding, actor=f"app:{caller.app_id}")
        return view(row)

    return JSONResponse(await run_in_threadpool(grant), status_code=201)


@router.get("/v1/hegui/consents")
async def list_consents(request: Request):
    services = services_of(request)
    caller = await caller_of(request)
    active = request.query_params.get("active") in ("1", "true", "yes")
    rows = await run_in_threadpool(lambda: ConsentRegistry(services.db, services.keys).list(
        app_id=caller.app_id, active_only=active))
    return {"data": [view(r) for r in rows]}


@router.get("/v1/hegui/consents/{consent_id}")
async def get_consent(request: Request, consent_id: str):
    services = services_of(request)
    caller = await caller_of(request)
    row = await run_in_threadpool(ConsentRegistry(services.db, services.keys).get, consent_id, app_id=caller.app_id)
    return view(row)


@router.post("/v1/hegui/consents/{consent_id}/revoke")
async def revoke_consent(request: Request, consent_id: str):
    """Withdraw a consent with effect from now (PIPL Art 15)."""
    services = services_of(request)
    caller = await caller_of(request)
    body = await json_body(request)
    reason = _str(body.get("reason"), "reason") or ""
    row = await run_in_threadpool(lambda: ConsentRegistry(services.db, services.keys).revoke(
        consent_id, reason, f"app:{caller.app_id}", app_id=caller.app_id))
    return view(row)


async def _media(request: Request, endpoint: str) -> Response:
    services = services_of(request)
    caller = await caller_of(request, model_endpoint=True)
    given = getattr(request.state, "request_id", None)
    ex = likeness.LikenessExchange(endpoint=endpoint, app_id=caller.app_id, lang=lang_of(request),
                                   external_user=request.headers.get("x-hegui-user"), channel=caller.channel,
                                   **({"request_id": given} if given else {}))
    request.state.request_id = ex.request_id
    data, media_type, headers = await likeness.generate(services, ex, request)
    return Response(data, media_type=media_type, headers={**headers, "X-Request-Id": ex.request_id})


@router.post("/v1/hegui/voice/clone")
async def voice_clone(request: Request):
    """Speech of ``text`` in the reference speaker's voice; consent required (DS Art 14(2))."""
    return await _media(request, likeness.VOICE)


@router.post("/v1/hegui/face/swap")
async def face_swap(request: Request):
    """The target image with the source's face; consent required (DS Art 14(2))."""
    return await _media(request, likeness.FACE)
