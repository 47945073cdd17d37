"""Client applications and their API keys (stored as SHA-256 of a 256-bit random key)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.errors import AuthError, ValidationFailed
from hegui.identity.crypto import token_hash
from hegui.storage.base import utcnow
from hegui.storage.models import ApiKey, App, TestChannel

if TYPE_CHECKING:
    from hegui.identity.test_channels import ChannelGrant

KEY_PREFIX = "hg-"
CHANNEL_APP_PREFIX = "test-channel:"  # apps of regulator test channels (hegui.identity.test_channels)


@dataclass(frozen=True)
class Caller:
    """Who a bearer key is: the app, and the test channel when the key is a channel's."""

    app_id: str
    channel: ChannelGrant | None = None


def _reserved(name: str) -> None:
    if name.startswith(CHANNEL_APP_PREFIX):
        raise ValidationFailed(message_en=f"app names starting with {CHANNEL_APP_PREFIX!r} are test channels' "
                                          "(hegui admin test-channel create)",
                               message_zh=f"以 {CHANNEL_APP_PREFIX!r} 开头的应用名称保留给测试通道"
                                          "（hegui admin test-channel create）")


def create_app(s: Session, name: str) -> App:
    if not name or len(name) > 200:
        raise ValidationFailed(detail="app name must be 1–200 characters")
    _reserved(name)
    app = s.scalar(select(App).where(App.name == name))
    if app is None:
        app = App(name=name)
        s.add(app)
        s.flush()
    return app


def issue_key(s: Session, app: App) -> str:
    """Create a key; the plaintext is returned once and never stored. A test channel's app gets
    no further keys (its one key is made with the channel)."""
    _reserved(app.name)
    return issue_channel_key(s, app)[0]


def issue_channel_key(s: Session, app: App) -> tuple[str, ApiKey]:
    """The key itself (shown once) and its row; for :mod:`hegui.identity.test_channels`."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(app_id=app.id, prefix=key[:10], key_hash=token_hash(key))
    s.add(row)
    s.flush()
    return key, row


def revoke_key(s: Session, key_id: str) -> str | None:
    """Mark the key revoked; returns its hash (for :meth:`KeyAuthenticator.forget`)."""
    row = s.get(ApiKey, key_id)
    if row is None:
        return None
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row.key_hash


class KeyAuthenticator:
    """Resolves a bearer key to a :class:`Caller` (app id, test channel), with a short in-process
    cache. A test channel's expiry, revocation and address list are checked by the caller on every
    request (:meth:`ChannelGrant.check`), cached or not.

    A revocation made through this process takes effect at once (:meth:`forget`); other
    processes sharing the database see it within ``ttl_seconds``
    (``throttle.api_key_cache_seconds``, default 5 s; 0 disables the cache)."""

    def __init__(self, ttl_seconds: float = 5.0) -> None:
        self.ttl = ttl_seconds
        self._cache: dict[str, tuple[float, Caller]] = {}

    def forget(self, key_hash: str | None = None) -> None:
        """Drop one key (by its hash) from the cache, or everything when ``None``."""
        if key_hash is None:
            self._cache.clear()
        else:
            self._cache.pop(key_hash, None)

    def cached(self, key: str | None) -> str | None:
        """The app of a cached plain key (never a test channel's: see :meth:`authenticate`)."""
        caller = self.cached_caller(key)
        return caller.app_id if caller and caller.channel is None else None

    def cached_caller(self, key: str | None) -> Caller | None:
        if not key:
            return None
        hit = self._cache.get(token_hash(key))
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def authenticate(self, s: Session, key: str | None) -> str:
        """The app of a plain key; a test channel's key is refused (it serves the model
        endpoints only, through :meth:`resolve` and its channel check)."""
        caller = self.resolve(s, key)
        if caller.channel is not None:
            from hegui.identity.test_channels import ChannelEndpointRefused

            raise ChannelEndpointRefused()
        return caller.app_id

    def resolve(self, s: Session, key: str | None) -> Caller:
        from hegui.identity.test_channels import grant_of

        if not key:
            raise AuthError(message_en="missing API key (Authorization: Bearer …)",
                            message_zh="缺少 API 密钥（Authorization: Bearer …）")
        digest = token_hash(key)
        hit = self._cache.get(digest)
        now = time.monotonic()
        if hit and hit[0] > now:
            return hit[1]
        row = s.execute(select(ApiKey.app_id, ApiKey.revoked_at, App.active, TestChannel)
                        .join(App, App.id == ApiKey.app_id).outerjoin(TestChannel, TestChannel.key_id == ApiKey.id)
                        .where(ApiKey.key_hash == digest)).first()
        channel = row.TestChannel if row is not None else None
        if channel is not None:  # its own refusals name the channel and say why (expired, revoked)
            grant = grant_of(channel)
            if row.revoked_at is not None or not row.active:  # the key revoked on its own (admin API)
                grant = replace(grant, revoked=True)
            caller = Caller(row.app_id, grant)
        elif row is None or row.revoked_at is not None or not row.active:
            raise AuthError(message_en="invalid or revoked API key", message_zh="API 密钥无效或已吊销")
        else:
            caller = Caller(row.app_id)
        if self.ttl > 0:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now + self.ttl, caller)
        return caller
