"""Public pages: the disclosure page (/about), the agreement, health and metrics."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

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


@router.get("/metrics")
async def metrics(request: Request):
    m = request.app.state.metrics
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
