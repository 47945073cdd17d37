"""Server-side console sessions: revocable, and the role read from the account on every request.

The cookie carries a random 256-bit token; the ``console_sessions`` row holds its SHA-256, the
CSRF token and the times. A session ends at logout (row deleted), after ``console.session_hours``
(absolute), after ``console.idle_minutes`` unused, or when the operator is disabled (all rows
deleted, and an inactive account is refused anyway). The role is never taken from the session:
each request reads it from ``admin_users``, so a role change applies to the next click.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DbSession

from hegui.console.security import Session
from hegui.identity.crypto import token_hash
from hegui.settings import ConsoleSettings
from hegui.storage.base import utcnow
from hegui.storage.models import AdminUser, ConsoleSession

TOUCH_EVERY = dt.timedelta(seconds=60)  # last_seen_at is written at most this often


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)  # SQLite returns naive UTC


def open_session(s: DbSession, admin: AdminUser, settings: ConsoleSettings) -> tuple[str, Session]:
    """Create a session for ``admin``; returns the cookie token (shown once) and the session."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + dt.timedelta(hours=settings.session_hours)
    row = ConsoleSession(token_hash=token_hash(token), admin_id=admin.id, csrf=secrets.token_urlsafe(24),
                         created_at=now, expires_at=expires, last_seen_at=now)
    s.add(row)
    s.flush()
    return token, Session(admin.username, admin.role, row.csrf, expires.timestamp())


def load(s: DbSession, token: str | None, settings: ConsoleSettings) -> Session | None:
    """The live session for a cookie token, with the account's *current* role; else None."""
    if not token or len(token) > 200:
        return None
    found = s.execute(select(ConsoleSession, AdminUser).join(AdminUser, AdminUser.id == ConsoleSession.admin_id)
                      .where(ConsoleSession.token_hash == token_hash(token))).first()
    if found is None:
        return None
    row, admin = found
    now = utcnow()
    idle = dt.timedelta(minutes=settings.idle_minutes)
    if not admin.active or _aware(row.expires_at) <= now or _aware(row.last_seen_at) + idle <= now:
        s.delete(row)
        return None
    if now - _aware(row.last_seen_at) >= TOUCH_EVERY:
        row.last_seen_at = now
    return Session(admin.username, admin.role, row.csrf, _aware(row.expires_at).timestamp())


def close(s: DbSession, token: str | None) -> None:
    """Logout: the session is deleted, so the cookie is worthless even if kept."""
    if token:
        s.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == token_hash(token)))


def revoke_operator(s: DbSession, admin_id: str) -> int:
    """End every session of one operator (disable, role change, password change)."""
    return s.execute(delete(ConsoleSession).where(ConsoleSession.admin_id == admin_id)).rowcount


def purge_expired(s: DbSession) -> int:
    return s.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= utcnow())).rowcount
