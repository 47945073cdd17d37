"""End-user registration and real-identity API, called by client apps with their API key.

DS Art 9 (real identity), Interim Measures Art 9 (agreement), PIPL Art 31 (guardian consent),
TC260-003 7c (training opt-out). Responses show masked identifiers only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from hegui.errors import ValidationFailed
from hegui.gateway.deps import app_id_of, json_body, lang_of, services_of
from hegui.gateway.routers import users_openapi as doc
from hegui.records import audit
from hegui.storage.models import EndUser

router = APIRouter(prefix="/v1/hegui", tags=[doc.TAG])


def user_view(u: EndUser) -> dict[str, Any]:
    return {"user": u.external_id, "kind": u.kind, "status": u.status, "verified_by": u.verified_by,
            "phone": u.phone_masked, "id_card": u.id_masked, "uscc": u.uscc,
            "minor_until": u.adult_on.isoformat() if u.adult_on else None,
            "guardian_consent": u.guardian_consent_at is not None,
            "agreement_version": u.agreement_version, "training_opt_out": u.training_opt_out}


def _str(body: dict[str, Any], key: str) -> str:
    v = body.get(key)
    if not isinstance(v, str) or not v:
        raise ValidationFailed(detail=f"'{key}' must be a non-empty string")
    return v


async def _with_user(request: Request, external_id: str, action: str,
                     fn: Callable[[Any, Any, EndUser], Any],
                     before: Callable[[str], None] | None = None) -> dict[str, Any]:
    """``before(app_id)`` runs first, outside the action's transaction (rate limits)."""
    services = services_of(request)
    app_id = await app_id_of(request)

    def run() -> dict[str, Any]:
        if before is not None:
            before(app_id)
        with services.db.session() as s:
            user = services.identity.get(s, app_id, external_id)
            extra = fn(services, s, user)
            audit.append(s, f"app:{app_id}", action, audit.user_ref(services.keys, user.id), {"verified_by": user.verified_by})
            return {**user_view(user), **(extra or {})}

    return await run_in_threadpool(run)


@router.post("/users", **doc.REGISTER)
async def register(request: Request):
    services = services_of(request)
    app_id = await app_id_of(request)
    body = await json_body(request)
    external_id, kind = _str(body, "user"), body.get("kind", "person")

    def run() -> dict[str, Any]:
        with services.db.session() as s:
            user = services.identity.register(s, app_id, external_id, kind)
            return user_view(user)

    return await run_in_threadpool(run)


@router.get("/users/{external_id}", **doc.GET_USER)
async def get_user(request: Request, external_id: str):
    services = services_of(request)
    app_id = await app_id_of(request)

    def run() -> dict[str, Any]:
        with services.db.session() as s:
            return user_view(services.identity.get(s, app_id, external_id))

    return await run_in_threadpool(run)


@router.post("/users/{external_id}/verify/mobile", **doc.MOBILE)
async def start_mobile(request: Request, external_id: str):
    phone = _str(await json_body(request), "phone")
    identity = services_of(request).identity
    return await _with_user(request, external_id, "identity.mobile_code_sent",
                            lambda sv, s, u: {"challenge_id": sv.identity.start_mobile(s, u, phone)},
                            before=lambda app_id: identity.before_sms(app_id, external_id, phone))


@router.post("/users/{external_id}/verify/mobile/confirm", **doc.MOBILE_CONFIRM)
async def confirm_mobile(request: Request, external_id: str):
    body = await json_body(request)
    ch, code, phone = _str(body, "challenge_id"), _str(body, "code"), _str(body, "phone")
    return await _with_user(request, external_id, "identity.verified.mobile",
                            lambda sv, s, u: sv.identity.confirm_mobile(s, u, ch, code, phone) and None)


@router.post("/users/{external_id}/verify/id-card", **doc.ID_CARD)
async def verify_id_card(request: Request, external_id: str):
    body = await json_body(request)
    number, name = _str(body, "id_number"), body.get("name") if isinstance(body.get("name"), str) else None
    identity = services_of(request).identity
    return await _with_user(request, external_id, "identity.verified.id_card",
                            lambda sv, s, u: sv.identity.verify_id_card(s, u, number, name) and None,
                            before=lambda app_id: identity.before_id_check(app_id, external_id))


@router.post("/users/{external_id}/verify/uscc", **doc.USCC)
async def verify_uscc(request: Request, external_id: str):
    code = _str(await json_body(request), "uscc")
    return await _with_user(request, external_id, "identity.verified.uscc",
                            lambda sv, s, u: sv.identity.verify_uscc(s, u, code) and None)


@router.post("/users/{external_id}/verify/national", **doc.NATIONAL)
async def verify_national(request: Request, external_id: str):
    token = _str(await json_body(request), "token")
    return await _with_user(request, external_id, "identity.verified.national",
                            lambda sv, s, u: sv.identity.verify_national(s, u, token) and None)


@router.get("/agreement", **doc.AGREEMENT)
async def agreement(request: Request):
    a = services_of(request).agreement
    return {"version": a.version, "hash": a.text_hash, "zh": a.zh, "en": a.en,
            "text": a.text(lang_of(request))}


@router.post("/users/{external_id}/agreement", **doc.ACCEPT)
async def accept_agreement(request: Request, external_id: str):
    version = _str(await json_body(request), "version")
    return await _with_user(request, external_id, "agreement.accepted",
                            lambda sv, s, u: sv.identity.accept_agreement(s, u, sv.agreement, version) and None)


@router.post("/users/{external_id}/guardian-consent", **doc.GUARDIAN)
async def guardian_consent(request: Request, external_id: str):
    number = _str(await json_body(request), "guardian_id_number")
    identity = services_of(request).identity
    return await _with_user(request, external_id, "minor.guardian_consent",
                            lambda sv, s, u: sv.identity.record_guardian_consent(s, u, number) and None,
                            before=lambda app_id: identity.before_id_check(app_id, external_id))


@router.put("/users/{external_id}/training-opt-out", **doc.OPT_OUT)
async def training_opt_out(request: Request, external_id: str):
    flag = (await json_body(request)).get("opt_out")
    if not isinstance(flag, bool):
        raise ValidationFailed(detail="'opt_out' must be true or false")
    return await _with_user(request, external_id, "consent.training_opt_out",
                            lambda sv, s, u: sv.identity.set_training_opt_out(s, u, flag) and None)
