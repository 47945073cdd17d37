"""Request helpers shared by the routers: services, API-key auth, JSON bodies, language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request

from hegui.errors import AuthError
from hegui.gateway.errors import request_lang
from hegui.gateway.metrics import TEST_CHANNEL_REQUESTS
from hegui.identity import test_channels
from hegui.identity.apps import Caller
from hegui.identity.crypto import token_hash
from hegui.records import audit
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
    """Authenticate the calling application by a plain API key (a test channel's key is refused:
    it serves the model endpoints only, through :func:`caller_of`)."""
    return (await caller_of(request)).app_id


async def caller_of(request: Request, *, model_endpoint: bool = False) -> Caller:
    """Authenticate the caller by its API key: the app, and its test channel if the key is one.

    A cache miss is refused with 429 while the address is locked for wrong keys; each wrong or
    missing key counts against the address (``throttle.api_key_failures_per_ip``). With
    ``throttle.api_key_requests`` set, every request counts against its key. A test channel is
    checked on every request, cached or not (:func:`_admit_channel`)."""
    services = services_of(request)
    throttle = services.throttle
    key = bearer(request)
    caller = services.authenticator.cached_caller(key)
    fresh = caller is None
    if caller is None:
        ip = client_ip(request)

        def lookup() -> Caller:
            throttle.peek("api_key_failures_per_ip", ip)
            try:
                with services.db.session() as s:
                    return services.authenticator.resolve(s, key)
            except AuthError:
                throttle.hit("api_key_failures_per_ip", ip, refuse=False, hint=f"address {ip}")
                raise

        caller = await services.db.run(lookup)
    if caller.channel is not None:
        await _admit_channel(request, caller.channel, model_endpoint=model_endpoint, fresh=fresh)
    elif key and throttle.rule("api_key_requests").limit:
        await services.db.run(lambda: throttle.hit("api_key_requests", token_hash(key), hint=key[:10]))
    return caller


async def _admit_channel(request: Request, grant: test_channels.ChannelGrant, *, model_endpoint: bool,
                         fresh: bool) -> None:
    """A regulator test channel (security-requirements §9): model endpoints only; refused once
    revoked or expired (the expiry audited once) or from outside its address list (counted as a
    wrong key for the address); rate-limited per channel (``throttle.test_channel_requests``);
    its first use audited, its last use stamped on each cache miss."""
    services = services_of(request)
    safety = "on" if grant.safety else "off"
    if not model_endpoint:
        TEST_CHANNEL_REQUESTS.labels(safety, "refused").inc()
        raise test_channels.ChannelEndpointRefused()
    ip = client_ip(request)
    try:
        grant.check(ip)
    except AuthError as err:
        TEST_CHANNEL_REQUESTS.labels(safety, "refused").inc()

        def note() -> None:
            if isinstance(err, test_channels.ChannelAddressRefused):
                services.throttle.hit("api_key_failures_per_ip", ip, refuse=False, hint=f"address {ip}")
            with services.db.session() as s:
                for row in test_channels.note_expired(s):
                    audit.append(s, "system:test_channel", "test_channel.expired", f"test_channel:{row.id}",
                                 test_channels.audit_detail(row))

        await services.db.run(note)
        raise
    await services.db.run(lambda: services.throttle.hit("test_channel_requests", grant.id, hint=grant.name))
    if fresh:
        def used() -> None:
            with services.db.session() as s:
                if test_channels.note_use(s, grant.id):
                    row = s.get(test_channels.TestChannel, grant.id)
                    audit.append(s, "system:test_channel", "test_channel.first_use", f"test_channel:{grant.id}",
                                 {**test_channels.audit_detail(row), "ip": ip})

        await services.db.run(used)
    TEST_CHANNEL_REQUESTS.labels(safety, "admitted").inc()


def lang_of(request: Request) -> str:
    return request_lang(request)
