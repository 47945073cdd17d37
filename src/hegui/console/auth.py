"""Console login and the per-route role gate (admin / reviewer / auditor)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from hegui.cases.errors import CsrfFailed
from hegui.console import sessions
from hegui.console.security import SESSION_COOKIE, Session, same_token
from hegui.errors import Forbidden, HeguiError
from hegui.records import audit
from hegui.web.render import render

if TYPE_CHECKING:
    from hegui.app.services import Services

log = logging.getLogger("hegui.console")
ALL = ("admin", "reviewer", "auditor")
WORK = ("admin", "reviewer")
ADMIN = ("admin",)


def services_of(request: Request) -> Services:
    return request.app.state.services


def current(request: Request) -> Session | None:
    """The live server-side session of this request, with the operator's current role (blocking:
    call from a worker thread)."""
    sv = services_of(request)
    with sv.db.session() as s:
        return sessions.load(s, request.cookies.get(SESSION_COOKIE), sv.settings.console)


def actor(sess: Session) -> str:
    return f"console:{sess.username}"


def record_denial(services: Services, who: str, path: str, err: HeguiError) -> None:
    """Refused and failed console actions are audited too (in their own transaction, since the
    action's own transaction was rolled back)."""
    kind = "console.denied" if err.http_status in (401, 403) else "console.failed"
    try:
        with services.db.session() as s:
            audit.append(s, who, kind, path[:200], {"code": err.code, "message": err.message("en")[:300]})
    except HeguiError:  # pragma: no cover - the refusal itself is still returned
        log.exception("could not audit a denied console action")


def page(request: Request, roles: tuple[str, ...], fn: Callable[[Session], Response]) -> Response:
    """Run a GET page for a logged-in operator whose role is in ``roles``."""
    sess = current(request)
    if sess is None:
        return RedirectResponse(f"/console/login?next={request.url.path}", status_code=303)
    if sess.role not in roles:
        err = Forbidden(message_en=f"role {sess.role} may not open this page", message_zh=f"角色 {sess.role} 无权访问此页面")
        record_denial(services_of(request), actor(sess), request.url.path, err)
        return render(request, "error.html", code=403, error=err, sess=sess)
    try:
        return fn(sess)
    except HeguiError as err:
        return render(request, "error.html", code=err.http_status, error=err, sess=sess)


async def action(request: Request, roles: tuple[str, ...], fn: Callable[[Session, Any], Any]) -> Response:
    """Run a POST action: login, role and CSRF checked first; ``fn(sess, form)`` runs in a thread.

    ``fn`` returns a redirect target (str) or a Response. Errors render the error page; nothing is
    half-done because each desk/store method is one transaction.
    """
    sv = services_of(request)
    sess = await run_in_threadpool(current, request)
    if sess is None:
        return RedirectResponse("/console/login", status_code=303)
    form = await request.form(max_files=2, max_part_size=5_000_000)
    try:
        if not same_token(form.get("csrf"), sess.csrf):
            raise CsrfFailed()
        if sess.role not in roles:
            raise Forbidden(message_en=f"role {sess.role} may not do this", message_zh=f"角色 {sess.role} 无权执行此操作")
        uploads = {}
        for k, v in form.multi_items():
            if hasattr(v, "read"):
                uploads[k] = (v.filename, await v.read())
        result = await run_in_threadpool(fn, sess, _Form(form, uploads))
    except HeguiError as err:
        await run_in_threadpool(record_denial, sv, actor(sess), request.url.path, err)
        return render(request, "error.html", code=err.http_status, error=err, sess=sess)
    if isinstance(result, Response):
        return result
    return RedirectResponse(result or "/console", status_code=303)


class _Form:
    def __init__(self, form, uploads: dict[str, tuple[str, bytes]]) -> None:
        self._form = form
        self.uploads = uploads

    def get(self, key: str, default: str = "") -> str:
        v = self._form.get(key)
        return default if v is None or hasattr(v, "read") else str(v)

    def getlist(self, key: str) -> list[str]:
        return [str(v) for v in self._form.getlist(key) if not hasattr(v, "read")]
