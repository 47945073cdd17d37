"""Request helpers shared by the routers: services, API-key auth, JSON bodies, language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request

from hegui.gateway.errors import request_lang
from hegui.web.requests import json_body  # noqa: F401 - the routers' import path

if TYPE_CHECKING:
    from hegui.app.services import Services


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


def lang_of(request: Request) -> str:
    return request_lang(request)
