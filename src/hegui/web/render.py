"""Jinja2 rendering for the console and the public case pages: autoescaping on, zh/en strings."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

_ROOT = resources.files("hegui")
_TZ = ZoneInfo("Asia/Shanghai")
ENV = Environment(loader=FileSystemLoader([str(_ROOT / "console" / "templates"), str(_ROOT / "cases" / "templates")]),
                  autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def _local(t: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show times in Beijing time (stored in UTC; SQLite returns them naive)."""
    if t is None:
        return "—"
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(_TZ).strftime(fmt)


ENV.filters["local"] = _local

# commands, paths, setting keys, snake_case and CamelCase identifiers inside a sentence
_CODE = re.compile(r"hegui(?:[ \t]+(?:--?[\w-]+|[a-z][\w-]*|[A-Z]{2,}|[\w.-]+\.ya?ml))+"
                   r"|(?<![\w/])/[\w.\-/]+[\w/]"
                   r"|\b[A-Za-z][\w.-]*/[\w.\-/]*\w"  # a relative path: docs/cases.md
                   r"|\b[A-Za-z_][\w-]*(?:(?:\.|\[\]\.)[A-Za-z_][\w-]*)+"
                   r"|\b[a-z]+(?:_[a-z0-9]+)+\b"
                   r"|\b[A-Z][a-z]+[A-Z]\w*(?:=\w+)?")


def _codes(text: object) -> Markup:
    """``text`` escaped, with the commands, paths and identifiers in it marked as ``<code>`` (they
    stay as they are in either language)."""
    out, last, raw = [], 0, str(text or "")
    for m in _CODE.finditer(raw):
        out += [escape(raw[last:m.start()]), Markup("<code>"), escape(m.group(0)), Markup("</code>")]
        last = m.end()
    out.append(escape(raw[last:]))
    return Markup("").join(out)


ENV.filters["codes"] = _codes


@lru_cache(maxsize=1)
def strings() -> dict[str, dict[str, str]]:
    return yaml.safe_load((_ROOT / "console" / "i18n.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=512)
def risk_name(risk_id: str, lang: str) -> str:
    """The TC260-003 Annex A name of ``risk_id`` in ``lang`` ("" when the id is not in the taxonomy)."""
    from hegui.moderation.taxonomy import default_taxonomy

    try:
        risk = default_taxonomy().risk(risk_id)
    except (KeyError, ValueError, LookupError):
        return ""
    return risk.name_zh if lang == "zh" else risk.name_en


def lang_of(request: Request) -> str:
    q = request.query_params.get("lang") or request.cookies.get("hegui_lang")
    if q in ("zh", "en"):
        return q
    return "en" if request.headers.get("accept-language", "").lower().startswith("en") else "zh"


def render(request: Request, template: str, code: int = 200, **ctx: Any) -> HTMLResponse:
    lang = ctx.pop("lang", None) or lang_of(request)
    table = strings()

    def t(key: str) -> str:
        return table.get(key, {}).get(lang, key)

    def tv(code: object) -> str:
        """A stored status or action code in the page's language (the code itself when unknown)."""
        return table.get(f"v.{code}", {}).get(lang, str(code))

    def rn(risk_id: object) -> str:
        """A risk's name from the taxonomy in the page's language ("" for ids outside it)."""
        return risk_name(str(risk_id), lang)

    other = "en" if lang == "zh" else "zh"
    html = ENV.get_template(template).render(request=request, lang=lang, t=t, tv=tv, rn=rn, other_lang=other,
                                             **ctx)
    resp = HTMLResponse(html, status_code=code)
    if request.query_params.get("lang") in ("zh", "en"):
        resp.set_cookie("hegui_lang", lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return resp
