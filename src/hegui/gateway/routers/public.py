"""Public pages: the disclosure page (/about), the agreement, health and metrics."""

from __future__ import annotations

import hmac
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from hegui.errors import AuthError, Forbidden
from hegui.gateway.deps import lang_of, services_of

router = APIRouter()
_env = Environment(loader=FileSystemLoader(str(resources.files("hegui") / "gateway" / "templates")),
                   autoescape=select_autoescape(["html"]))


def _lang(request: Request) -> str:
    q = request.query_params.get("lang")
    return q if q in ("zh", "en") else lang_of(request)


@router.get("/about", response_class=HTMLResponse)
async def about(request: Request):
    sv = services_of(request)
    html = _env.get_template("about.html").render(
        lang=_lang(request), svc=sv.settings.service, agreement=sv.agreement, labels=sv.settings.labels,
        retention=sv.settings.retention, minors=sv.settings.minors, escalation=sv.settings.escalation,
        models=sv.router.models())
    return HTMLResponse(html)


@router.get("/agreement", response_class=PlainTextResponse)
async def agreement_text(request: Request):
    a = services_of(request).agreement
    return PlainTextResponse(a.text(_lang(request)))


@router.get("/healthz")
async def healthz():
    return {"status": "ok"}


def require_metrics_access(request: Request) -> None:
    """``/metrics`` shows traffic and refusal counts: a bearer token unless made public on purpose."""
    server = services_of(request).settings.server
    if server.metrics_public:
        return
    if not server.metrics_token:
        raise Forbidden(message_en="/metrics is off: set server.metrics_token (or server.metrics_public = true "
                                   "on a private network)",
                        message_zh="/metrics 未开放：请配置 server.metrics_token（或在内网中设置 server.metrics_public = true）")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), server.metrics_token.encode()):
        raise AuthError(message_en="/metrics needs Authorization: Bearer <metrics_token>",
                        message_zh="访问 /metrics 须提供 Authorization: Bearer <metrics_token>")


@router.get("/metrics")
async def metrics(request: Request):
    require_metrics_access(request)
    m = request.app.state.metrics
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
