"""Request helpers shared by the routers: services, API-key auth, JSON bodies, language."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from hegui.errors import ValidationFailed
from hegui.gateway.errors import request_lang
from hegui.gateway.services import Services


def services_of(request: Request) -> Services:
    return request.app.state.services


def bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("x-api-key")


async def app_id_of(request: Request) -> str:
    """Authenticate the calling application by its API key."""
    services = services_of(request)
    key = bearer(request)
    cached = services.authenticator.cached(key)
    if cached:
        return cached

    def lookup() -> str:
        with services.db.session() as s:
            return services.authenticator.authenticate(s, key)

    return await services.db.run(lookup)


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        bad_utf8 = "utf-8" in str(exc).lower() or "surrogate" in str(exc).lower()
        if bad_utf8:
            raise ValidationFailed(message_en="request body is not valid UTF-8",
                                   message_zh="请求体不是有效的 UTF-8 编码") from exc
        raise ValidationFailed(message_en=f"request body is not valid JSON: {exc}",
                               message_zh=f"请求体不是有效的 JSON：{exc}") from exc
    if not isinstance(data, dict):
        raise ValidationFailed(detail="request body must be a JSON object")
    return data


def lang_of(request: Request) -> str:
    return request_lang(request)
