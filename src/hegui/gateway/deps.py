"""Request helpers shared by the routers: services, API-key auth, JSON bodies, language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request

from hegui.errors import AuthError
from hegui.gateway.errors import request_lang
from hegui.identity.crypto import token_hash
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


def client_ip(request: Request) -> str:
    """The caller's address (``X-Forwarded-For`` only from a configured trusted proxy)."""
    peer = request.client.host if request.client else None
    return services_of(request).throttle.client_ip(peer, request.headers.get("x-forwarded-for"))


async def app_id_of(request: Request) -> str:
    """Authenticate the calling application by its API key.

    A cache miss is refused with 429 while the address is locked for wrong keys; each wrong or
    missing key counts against the address (``throttle.api_key_failures_per_ip``). With
    ``throttle.api_key_requests`` set, every request counts against its key."""
    services = services_of(request)
    throttle = services.throttle
    key = bearer(request)
    app_id = services.authenticator.cached(key)
    if not app_id:
        ip = client_ip(request)

        def lookup() -> str:
            throttle.peek("api_key_failures_per_ip", ip)
            try:
                with services.db.session() as s:
                    return services.authenticator.authenticate(s, key)
            except AuthError:
                throttle.hit("api_key_failures_per_ip", ip, refuse=False, hint=f"address {ip}")
                raise

        app_id = await services.db.run(lookup)
    if key and throttle.rule("api_key_requests").limit:
        await services.db.run(lambda: throttle.hit("api_key_requests", token_hash(key), hint=key[:10]))
    return app_id


def lang_of(request: Request) -> str:
    return request_lang(request)
