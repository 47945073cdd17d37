"""Public complaint channel and case API (Interim Measures Art 15; DS Art 11; PIPL Art 50).

- ``GET/POST /complaints``: web form, zh/en, no login; per-IP token bucket, honeypot field and a
  signed minimum-fill-time token instead of a CAPTCHA.
- ``GET /complaints/status/{tracking}``: status page; ``/complaints/procedure``: published procedure
  generated from the cases config; ``/notices``: rumour-refutation notices.
- ``POST /v1/hegui/cases`` and ``GET /v1/hegui/cases/{tracking}``: the same for client apps (API key).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from hegui.cases import takedown, workflow
from hegui.cases.desk import CaseDesk
from hegui.cases.errors import ArchiveExpired, CaseNotFound
from hegui.cases.intake import TZ, Upload
from hegui.errors import HeguiError, ValidationFailed
from hegui.web.headers import SecurityHeaders
from hegui.web.render import lang_of, render
from hegui.web.requests import json_body

if TYPE_CHECKING:
    from hegui.app.services import Services

log = logging.getLogger("hegui.cases")
MAX_FORM_BYTES = 30_000_000


def desk_of(request: Request) -> CaseDesk:
    return request.app.state.case_desk


def client_ip(request: Request) -> str:
    """The submitter's address: ``X-Forwarded-For`` only from ``throttle.trusted_proxies``, so that
    behind a reverse proxy the intake limit counts clients, not the proxy."""
    peer = request.client.host if request.client else None
    services = getattr(request.app.state, "services", None)
    if services is None:
        return peer or "unknown"
    return services.throttle.client_ip(peer, request.headers.get("x-forwarded-for"))


def form_token(key: bytes, now: float | None = None) -> str:
    ts = str(int(now if now is not None else time.time()))
    return ts + "." + hmac.new(key, b"form:" + ts.encode(), hashlib.sha256).hexdigest()[:32]


def form_age(key: bytes, token: str, now: float | None = None) -> float | None:
    ts, _, mac = (token or "").partition(".")
    if not ts.isdigit() or not hmac.compare_digest(mac, hmac.new(key, b"form:" + ts.encode(), hashlib.sha256).hexdigest()[:32]):
        return None
    return (now if now is not None else time.time()) - int(ts)


def install(app: FastAPI, services: Services, *, authenticate: Callable[[Request], Awaitable[str]]) -> None:
    """The complaint pages and the case API; ``authenticate`` names the calling app by its API key
    (the composition root passes the gateway's)."""
    today = dt.datetime.now(TZ).date()
    desk = CaseDesk(services)
    desk.calendar_notes = desk.check_calendar(today)
    for note in desk.calendar_notes:
        log.warning("%s", note)  # one line each: the provisional period and the fix
    app.state.case_desk = desk
    intake = desk.config.intake
    app.state.body_limits["/complaints"] = intake.max_files * intake.max_file_bytes * 4 // 3 + 1_000_000
    app.add_middleware(SecurityHeaders, prefixes=("/complaints", "/notices"))

    @app.get("/complaints")
    async def complaint_form(request: Request):
        return _form(request, desk, services)

    @app.post("/complaints")
    async def complaint_submit(request: Request):
        lang = lang_of(request)
        values: dict[str, str] = {}
        try:
            desk.bucket.take(client_ip(request))
            form = await request.form(max_files=desk.config.intake.max_files + 1, max_part_size=MAX_FORM_BYTES)
            values = {k: str(form.get(k) or "") for k in ("type", "text", "contact", "account", "content_id")}
            if form.get("website"):
                raise ValidationFailed(message_en="the form was not filled in by a person",
                                       message_zh="表单疑似非人工填写")
            age = form_age(services.keys.session_key, str(form.get("ts", "")))
            if age is None or age < desk.config.intake.min_fill_seconds or age > 86400:
                raise ValidationFailed(message_en="the form was submitted too fast or has expired; please try again",
                                       message_zh="表单提交过快或已过期，请重新填写")
            uploads = []
            for f in form.getlist("evidence"):
                if hasattr(f, "read") and (f.filename or f.size):
                    data = await f.read(desk.config.intake.max_file_bytes + 1)
                    uploads.append(Upload(f.filename or "file", data))
            case = await run_in_threadpool(
                desk.submit, case_type=str(form.get("type", "")), text=str(form.get("text", "")),
                contact=str(form.get("contact", "")), account=str(form.get("account", "")),
                content_id=str(form.get("content_id", "")), lang=lang, channel="web", uploads=uploads)
        except HeguiError as exc:
            log.info("public complaint refused: %s", exc.code)
            return _form(request, desk, services, error=exc, code=exc.http_status, values=values)
        return RedirectResponse(f"/complaints/status/{case.tracking}?new=1&lang={lang}", status_code=303)

    @app.get("/complaints/status/{tracking}")
    async def complaint_status(request: Request, tracking: str):
        def load():
            with services.db.session() as s:
                case = workflow.get_case(s, tracking)
                if case.tracking != tracking:
                    raise CaseNotFound(detail=tracking)
                return case, workflow.events(s, case)
        try:
            case, evs = await run_in_threadpool(load)
        except CaseNotFound as exc:
            return render(request, "public_error.html", code=404, error=exc)
        return render(request, "complaint_status.html", case=case, events=[e for e in evs if e.kind == "transition"],
                      cfg=desk.config, new=request.query_params.get("new") == "1",
                      status_zh=workflow.STATUS_ZH, status_en=workflow.STATUS_EN,
                      archive=_live_archive(desk, case))

    @app.get("/complaints/status/{tracking}/archive")
    async def complaint_archive(request: Request, tracking: str):
        def load():
            with services.db.session() as s:
                case = workflow.get_case(s, tracking)
                if case.tracking != tracking or case.status != "feedback_sent" or not (case.result or {}).get("archive"):
                    raise CaseNotFound(detail=tracking)
                return case.result["archive"]
        name = await run_in_threadpool(load)
        path = desk.archive_path(name)
        if path is None:  # expired (PIPL Art 47: kept no longer than needed) or removed with the user
            raise ArchiveExpired(days=desk.config.pi_export_days)
        return FileResponse(path, media_type="application/zip", filename=name)

    @app.get("/complaints/procedure")
    async def procedure(request: Request):
        return render(request, "procedure.html", cfg=desk.config, svc=services.settings.service,
                      escalation=services.settings.escalation)

    @app.get("/notices")
    async def notices(request: Request):
        def load():
            with services.db.session() as s:
                return takedown.refutation_notices(s)
        return render(request, "notices.html", notices=await run_in_threadpool(load))

    @app.post("/v1/hegui/cases")
    async def api_submit(request: Request):
        app_id = await authenticate(request)
        desk.api_bucket.take(app_id)
        body = await json_body(request)
        uploads = []
        for item in body.get("evidence") or []:
            if not isinstance(item, dict):
                raise ValidationFailed(detail="evidence items are objects {filename, data_base64}")
            try:
                data = base64.b64decode(str(item.get("data_base64", "")), validate=True)
            except binascii.Error as exc:
                raise ValidationFailed(detail="evidence data_base64 is not valid base64") from exc
            uploads.append(Upload(str(item.get("filename", "file")), data))
        case = await run_in_threadpool(
            desk.submit, case_type=str(body.get("type", "")), text=str(body.get("text", "")),
            contact=str(body.get("contact", "") or ""), account=str(body.get("user", "") or ""),
            content_id=str(body.get("content_id", "") or ""), lang=str(body.get("lang", "zh")), channel="api",
            app_id=app_id, uploads=uploads, actor=f"app:{app_id}")
        return _case_json(case)

    @app.get("/v1/hegui/cases/{tracking}")
    async def api_status(request: Request, tracking: str):
        await authenticate(request)

        def load():
            with services.db.session() as s:
                case = workflow.get_case(s, tracking)
                if case.tracking != tracking:
                    raise CaseNotFound(detail=tracking)
                return case
        return _case_json(await run_in_threadpool(load))


def _case_json(case) -> dict:
    return {"tracking": case.tracking, "type": case.type, "status": case.status,
            "received_on": case.received_on.isoformat(), "due_on": case.due_on.isoformat() if case.due_on else None,
            "due_provisional": case.due_provisional,
            "feedback": case.feedback, "status_url": f"/complaints/status/{case.tracking}"}


def _form(request: Request, desk: CaseDesk, services: Services, error: HeguiError | None = None, code: int = 200,
          values: dict[str, str] | None = None):
    values = values or {}
    return render(request, "complaint_form.html", code=code, cfg=desk.config,
                  token=form_token(services.keys.session_key), error=error, values=values,
                  preset=values.get("type") or request.query_params.get("type", ""))


def _live_archive(desk: CaseDesk, case) -> str | None:  # noqa: ANN001
    """The archive link for the status page: only once feedback is sent, and while it exists."""
    name = (case.result or {}).get("archive")
    if case.status != "feedback_sent" or not name:
        return None
    return name if desk.archive_path(name) is not None else None
