"""Client applications and their API keys (stored as SHA-256 of a 256-bit random key)."""

from __future__ import annotations

import secrets
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.errors import AuthError, ValidationFailed
from hegui.identity.crypto import token_hash
from hegui.storage.base import utcnow
from hegui.storage.models import ApiKey, App

KEY_PREFIX = "hg-"


def create_app(s: Session, name: str) -> App:
    if not name or len(name) > 200:
        raise ValidationFailed(detail="app name must be 1–200 characters")
    app = s.scalar(select(App).where(App.name == name))
    if app is None:
        app = App(name=name)
        s.add(app)
        s.flush()
    return app


def issue_key(s: Session, app: App) -> str:
    """Create a key; the plaintext is returned once and never stored."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    s.add(ApiKey(app_id=app.id, prefix=key[:10], key_hash=token_hash(key)))
    s.flush()
    return key


def revoke_key(s: Session, key_id: str) -> str | None:
    """Mark the key revoked; returns its hash (for :meth:`KeyAuthenticator.forget`)."""
    row = s.get(ApiKey, key_id)
    if row is None:
        return None
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row.key_hash


class KeyAuthenticator:
    """Resolves a bearer key to an app id, with a short in-process cache.

    A revocation made through this process takes effect at once (:meth:`forget`); other
    processes sharing the database see it within ``ttl_seconds``
    (``throttle.api_key_cache_seconds``, default 5 s; 0 disables the cache)."""

    def __init__(self, ttl_seconds: float = 5.0) -> None:
        self.ttl = ttl_seconds
        self._cache: dict[str, tuple[float, str]] = {}

    def forget(self, key_hash: str | None = None) -> None:
        """Drop one key (by its hash) from the cache, or everything when ``None``."""
        if key_hash is None:
            self._cache.clear()
        else:
            self._cache.pop(key_hash, None)

    def cached(self, key: str | None) -> str | None:
        if not key:
            return None
        hit = self._cache.get(token_hash(key))
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def authenticate(self, s: Session, key: str | None) -> str:
        if not key:
            raise AuthError(message_en="missing API key (Authorization: Bearer …)",
                            message_zh="缺少 API 密钥（Authorization: Bearer …）")
        digest = token_hash(key)
        hit = self._cache.get(digest)
        now = time.monotonic()
        if hit and hit[0] > now:
            return hit[1]
        row = s.execute(select(ApiKey.app_id, ApiKey.revoked_at, App.active).join(App, App.id == ApiKey.app_id)
                        .where(ApiKey.key_hash == digest)).first()
        if row is None or row.revoked_at is not None or not row.active:
            raise AuthError(message_en="invalid or revoked API key", message_zh="API 密钥无效或已吊销")
        if self.ttl > 0:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now + self.ttl, row.app_id)
        return row.app_id
