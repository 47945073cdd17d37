"""The console: login, dashboard, obligations and audit pages; mounts the other views.

Server-rendered (Jinja2, autoescaped), no JavaScript build step. Every route checks the role;
every POST checks the CSRF token; responses carry strict security headers.
"""

from __future__ import annotations

import datetime as dt
import secrets
from importlib import resources
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from hegui.cases.models import Case
from hegui.console import (annotation_views, cases_views, channel_views, governance_views, inspect_views, ops_views,
                           sessions)
from hegui.console.auth import ALL, action, actor, page, services_of
from hegui.console.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE, same_token
from hegui.errors import AuthError, HeguiError
from hegui.identity import admins
from hegui.records import audit
from hegui.storage.base import utcnow
from hegui.storage.models import AuditEntry, UsageRecord
from hegui.throttle import login as login_guard
from hegui.throttle.errors import RateLimited
from hegui.web.headers import SecurityHeaders
from hegui.web.render import render

if TYPE_CHECKING:
    from hegui.app.services import Services

router = APIRouter(prefix="/console")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def install(app: FastAPI, services: Services) -> None:
    app.add_middleware(SecurityHeaders, prefixes=("/console",))
    app.mount("/console/static", StaticFiles(directory=str(resources.files("hegui") / "console" / "static")),
              name="console-static")
    app.include_router(router)
    app.include_router(cases_views.router)
    app.include_router(ops_views.router)
    app.include_router(channel_views.router)
    app.include_router(governance_views.router)
    app.include_router(annotation_views.router)
    app.include_router(inspect_views.router)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or (request.url.hostname or "") in LOOPBACK


@router.get("/login")
def login_form(request: Request):
    token = secrets.token_urlsafe(16)
    resp = render(request, "login.html", csrf=token, next=request.query_params.get("next", "/console"))
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request),
                    path="/console")
    return resp


@router.post("/login")
async def login(request: Request):
    sv = services_of(request)
    form = await request.form()
    target = str(form.get("next") or "/console")
    if not target.startswith("/console") or target.startswith("//"):
        target = "/console"
    try:
        if not same_token(form.get("csrf"), request.cookies.get(LOGIN_CSRF_COOKIE)):
            from hegui.cases.errors import CsrfFailed

            raise CsrfFailed()
        if not _secure(request):
            raise AuthError(message_en="the console needs HTTPS (or a loopback address)",
                            message_zh="控制台须通过 HTTPS（或本机回环地址）访问")
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        peer = request.client.host if request.client else None
        ip = sv.throttle.client_ip(peer, request.headers.get("x-forwarded-for"))

        def check() -> str:
            login_guard.before_login(sv.throttle, username, ip)  # 429 while locked
            try:
                with sv.db.session() as s:
                    try:
                        who = admins.authenticate(s, username, password)
                    except AuthError:
                        audit.append(s, f"console:{username[:80]}", "console.login_failed", "console", {"ip": ip})
                        s.commit()
                        raise
                    sessions.purge_expired(s)
                    token, _ = sessions.open_session(s, who, sv.settings.console)
                    audit.append(s, f"console:{who.username}", "console.login", "console", {"role": who.role})
            except AuthError:
                login_guard.login_failed(sv.throttle, username, ip)
                raise
            login_guard.login_succeeded(sv.throttle, username)
            return token
        token = await run_in_threadpool(check)
    except HeguiError as err:
        csrf = secrets.token_urlsafe(16)
        resp = render(request, "login.html", code=err.http_status, error=err, csrf=csrf, next=target)
        resp.set_cookie(LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=_secure(request),
                        path="/console")
        if isinstance(err, RateLimited):
            resp.headers["Retry-After"] = str(err.retry_after)
        return resp
    resp = RedirectResponse(target, status_code=303)
    resp.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", secure=True, path="/",
                    max_age=int(sv.settings.console.session_hours * 3600))
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
    return resp


@router.post("/logout")
async def logout(request: Request):
    def done(sess, form):
        with services_of(request).db.session() as s:
            sessions.close(s, request.cookies.get(SESSION_COOKIE))  # the cookie is worthless from now on
            audit.append(s, actor(sess), "console.logout", "console", {})
        resp = RedirectResponse("/console/login", status_code=303)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    return await action(request, ALL, done)


@router.get("")
@router.get("/")
def dashboard(request: Request):
    sv = services_of(request)

    def show(sess):
        from hegui.console import dashboard as dash
        from hegui.web.render import lang_of, strings

        since = utcnow() - dt.timedelta(hours=24)
        with sv.db.session() as s:
            by_status = dict(s.execute(select(UsageRecord.status, func.count()).where(UsageRecord.created_at >= since)
                                       .group_by(UsageRecord.status)).all())
            cases = dict(s.execute(select(Case.status, func.count()).group_by(Case.status)).all())
        desk = request.app.state.case_desk
        lang, table = lang_of(request), strings()
        charts = dash.build(sv, lambda k: table.get(k, {}).get(lang, k), lang, desk.today())
        return render(request, "dashboard.html", sess=sess, by_status=by_status, live_off=channel_views.live_safety_off(sv),
                      cases=cases, alerts=desk.alerts(), webhook=bool(desk.config.webhook_url), **charts)

    return page(request, ALL, show)


@router.get("/obligations")
def obligations(request: Request):
    from hegui.obligations.register import evaluate

    def show(sess):
        version, rows = evaluate(services_of(request))
        return render(request, "obligations.html", sess=sess, version=version, rows=rows)

    return page(request, ALL, show)


@router.get("/audit")
def audit_page(request: Request):
    sv = services_of(request)

    def show(sess):
        with sv.db.session() as s:
            result = audit.verify(s) if request.query_params.get("verify") else None
            entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(100)))
        return render(request, "audit.html", sess=sess, result=result, entries=entries)

    return page(request, ALL, show)
