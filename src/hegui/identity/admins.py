"""Operator accounts: argon2id password hashes and three roles.

- ``admin``: everything; ``reviewer``: review queue and cases; ``auditor``: read-only.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.errors import AuthError, ValidationFailed
from hegui.storage.models import AdminUser

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
