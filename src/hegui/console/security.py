"""Console session cookie names and CSRF tokens (security headers: :mod:`hegui.web.headers`).

The session cookie (HttpOnly, SameSite=Strict, Secure) carries a random token of a server-side
session (:mod:`hegui.console.sessions`). Every POST carries a per-session CSRF token that is
compared in constant time.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

SESSION_COOKIE = "hegui_console"
LOGIN_CSRF_COOKIE = "hegui_login_csrf"


@dataclass
class Session:
    username: str
    role: str
    csrf: str
    expires: float


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
