"""Console session cookies, CSRF tokens and security headers.

The session is a signed cookie (HMAC-SHA256 with the key ring's session key): HttpOnly,
SameSite=Strict, Secure, 8-hour lifetime. Every POST carries a per-session CSRF token that is
compared in constant time. Pages get a strict Content-Security-Policy (no inline script).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

SESSION_COOKIE = "hegui_console"
LOGIN_CSRF_COOKIE = "hegui_login_csrf"
LIFETIME = 8 * 3600
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


@dataclass
class Session:
    username: str
    role: str
    csrf: str
    expires: float


def sign(key: bytes, sess: Session) -> str:
    body = base64.urlsafe_b64encode(json.dumps([sess.username, sess.role, sess.csrf, sess.expires]).encode()).decode()
    mac = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def unsign(key: bytes, value: str | None, now: float | None = None) -> Session | None:
    if not value or "." not in value:
        return None
    body, _, mac = value.rpartition(".")
    if not hmac.compare_digest(mac, hmac.new(key, body.encode(), hashlib.sha256).hexdigest()):
        return None
    try:
        user, role, csrf, exp = json.loads(base64.urlsafe_b64decode(body.encode()))
    except (ValueError, TypeError):
        return None
    if (now or time.time()) > exp:
        return None
    return Session(user, role, csrf, exp)


def new_session(username: str, role: str) -> Session:
    return Session(username, role, secrets.token_urlsafe(24), time.time() + LIFETIME)


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


class SecurityHeaders:
    """Pure ASGI middleware adding :data:`HEADERS` to responses under the given path prefixes."""

    def __init__(self, app, prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.prefixes = prefixes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(self.prefixes):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}
                for k, v in HEADERS.items():
                    if k.lower().encode() not in have:
                        headers.append((k.lower().encode(), v.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
