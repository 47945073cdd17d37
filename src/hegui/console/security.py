"""Console session cookie names, CSRF tokens and security headers.

The session cookie (HttpOnly, SameSite=Strict, Secure) carries a random token of a server-side
session (:mod:`hegui.console.sessions`). Every POST carries a per-session CSRF token that is
compared in constant time. Pages get a strict Content-Security-Policy (no inline script).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

SESSION_COOKIE = "hegui_console"
LOGIN_CSRF_COOKIE = "hegui_login_csrf"
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
