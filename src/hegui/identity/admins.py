"""Operator accounts: argon2id password hashes and three roles.

- ``admin``: everything; ``reviewer``: review queue and cases; ``auditor``: read-only.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hegui.errors import AuthError, NotFound, ValidationFailed
from hegui.storage.models import AdminUser, ConsoleSession

ROLES = ("admin", "reviewer", "auditor")
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_admin(s: Session, username: str, password: str | None = None, role: str = "admin") -> tuple[AdminUser, str]:
    """Create an operator; returns the account and the (possibly generated) password."""
    if role not in ROLES:
        raise ValidationFailed(detail=f"role must be one of {', '.join(ROLES)}")
    if not username or len(username) > 80:
        raise ValidationFailed(detail="username must be 1–80 characters")
    password = password or secrets.token_urlsafe(12)
    if len(password) < 10:
        raise ValidationFailed(message_en="password must be at least 10 characters",
                               message_zh="密码长度至少为 10 个字符")
    if s.scalar(select(AdminUser).where(AdminUser.username == username)) is not None:
        raise ValidationFailed(message_en=f"operator {username!r} already exists",
                               message_zh=f"管理员账号 {username!r} 已存在")
    user = AdminUser(username=username, password_hash=hash_password(password), role=role)
    s.add(user)
    s.flush()
    return user, password


def authenticate(s: Session, username: str, password: str) -> AdminUser:
    user = s.scalar(select(AdminUser).where(AdminUser.username == username, AdminUser.active.is_(True)))
    fail = AuthError(message_en="wrong username or password", message_zh="用户名或密码错误")
    if user is None:
        _hasher.hash(password)  # same cost either way
        raise fail
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise fail from None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _operator(s: Session, username: str) -> AdminUser:
    user = s.scalar(select(AdminUser).where(AdminUser.username == username))
    if user is None:
        raise NotFound(message_en=f"no operator {username!r}", message_zh=f"没有管理员账号 {username!r}")
    return user


def end_sessions(s: Session, user: AdminUser) -> int:
    """Delete every console session of ``user`` (they must log in again)."""
    return s.execute(delete(ConsoleSession).where(ConsoleSession.admin_id == user.id)).rowcount


def set_role(s: Session, username: str, role: str) -> AdminUser:
    """Change an operator's role; open sessions end, and every request reads the role anew."""
    if role not in ROLES:
        raise ValidationFailed(detail=f"role must be one of {', '.join(ROLES)}")
    user = _operator(s, username)
    if user.role != role:
        user.role = role
        end_sessions(s, user)
    return user


def set_active(s: Session, username: str, active: bool) -> AdminUser:
    """Disable (or re-enable) an operator; disabling ends every open session at once."""
    user = _operator(s, username)
    user.active = active
    if not active:
        end_sessions(s, user)
    return user
