"""Console session cookies and CSRF tokens (security headers: :mod:`hegui.web.headers`).

The session is a signed cookie (HMAC-SHA256 with the key ring's session key): HttpOnly,
SameSite=Strict, Secure, 8-hour lifetime. Every POST carries a per-session CSRF token that is
compared in constant time.
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
