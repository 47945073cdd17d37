"""Operator logins (console form and admin-API Basic) behind per-account and per-address lockouts.

Before the password is checked, a locked account or address is refused with 429; a wrong
password counts against both; a right one clears the account's own count (not the address's).
The password hash is verified even while other checks fail, so timing says nothing.
"""

from __future__ import annotations

from hegui.errors import AuthError
from hegui.identity import admins
from hegui.storage.db import Database
from hegui.storage.models import AdminUser
from hegui.throttle.limiter import Throttle

ACCOUNT, ADDRESS = "login_failures_per_account", "login_failures_per_ip"


def _account(username: str) -> str:
    return username.strip().lower()[:80]


def before_login(throttle: Throttle, username: str, ip: str) -> None:
    """Raise :class:`hegui.throttle.errors.RateLimited` while the account or address is locked."""
    throttle.peek(ADDRESS, ip)
    throttle.peek(ACCOUNT, _account(username))


def login_failed(throttle: Throttle, username: str, ip: str) -> None:
    throttle.hit(ACCOUNT, _account(username), refuse=False, hint=f"account {username[:60]}")
    throttle.hit(ADDRESS, ip, refuse=False, hint=f"address {ip}")


def login_succeeded(throttle: Throttle, username: str) -> None:
    throttle.reset(ACCOUNT, _account(username))


def authenticate_operator(throttle: Throttle, db: Database, username: str, password: str, ip: str) -> tuple[str, str]:
    """Check an operator's password under the lockout rules; returns ``(username, role)``."""
    before_login(throttle, username, ip)
    try:
        with db.session() as s:
            who: AdminUser = admins.authenticate(s, username, password)
            result = (who.username, who.role)
    except AuthError:
        login_failed(throttle, username, ip)
        raise
    login_succeeded(throttle, username)
    return result
