"""Regulator test channels: expiring, revocable test accounts with and without the safety strategy
(large-model filing, security-requirements §9: test accounts and a stable API for the regulator's
automated interception tests).

A channel is its own app (name ``test-channel:<name>``, reserved), one API key and one test end
user. The test user is honestly marked (``kind = "test"``, ``verified_by = "test_channel"``): it
is not a real-name verified person and no real person's account is ever used. Every request with
the channel key is that test user's, whatever the request names; the key serves only the model
endpoints. ``safety = False`` bypasses moderation for the channel's requests alone; labels and
usage records are never bypassed (Labeling Measures Art 10; Interim Measures Art 11).

Nothing here writes the audit log (the identity duty sits below :mod:`hegui.records`): callers
append the entries named by :data:`AUDIT_ACTIONS`, with :func:`audit_detail`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.errors import AuthError, NotFound, ValidationFailed
from hegui.identity.apps import CHANNEL_APP_PREFIX, issue_channel_key
from hegui.storage.base import utcnow
from hegui.storage.models import ApiKey, App, EndUser, TestChannel

KIND = "regulator-test"
DEFAULT_DAYS = 30
MAX_DAYS = 180
MAX_ALLOW_IPS = 64
TEST_USER_KIND = "test"
TEST_USER_VERIFIED_BY = "test_channel"
BYPASS_REASON = "bypassed: regulator test channel (safety off)"
AUDIT_ACTIONS = ("test_channel.created", "test_channel.first_use", "test_channel.revoked",
                 "test_channel.expired", "test_channel.refused")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class ChannelGrant:
    """What a channel key admits, as the gateway needs it per request (cached with the key)."""

    id: str
    name: str
    safety: bool
    expires_at: dt.datetime
    allow_ips: tuple[Network, ...]
    user_id: str
    revoked: bool = False

    @property
    def safety_off(self) -> bool:
        return not self.safety

    def check(self, ip: str | None, now: dt.datetime | None = None) -> None:
        """Refuse a revoked or expired channel, or an address outside its allow-list (401/403)."""
        now = now or utcnow()
        if self.revoked:
            raise ChannelClosed(name=self.name, state_zh="已吊销", state_en="revoked")
        if aware(self.expires_at) <= now:
            raise ChannelClosed(name=self.name, state_zh="已过期", state_en="expired")
        if self.allow_ips and not address_allowed(ip, self.allow_ips):
            raise ChannelAddressRefused(name=self.name)


class ChannelClosed(AuthError):
    code = "TEST_CHANNEL_CLOSED"
    message_zh = "测试通道 {name} {state_zh}，其 API 密钥不再有效"
    message_en = "test channel {name} is {state_en}; its API key is no longer valid"


class ChannelAddressRefused(AuthError):
    code = "TEST_CHANNEL_ADDRESS"
    http_status = 403
    message_zh = "测试通道 {name} 不接受来自该地址的请求（不在允许的地址范围内）"
    message_en = "test channel {name} does not accept requests from this address (not in its allow-list)"


class ChannelEndpointRefused(AuthError):
    code = "TEST_CHANNEL_ENDPOINT"
    http_status = 403
    message_zh = "测试通道密钥只能用于模型接口（/v1/chat/completions、/v1/images/generations、/v1/audio/speech、/v1/models）"
    message_en = "a test-channel key serves only the model endpoints (/v1/chat/completions, " \
                 "/v1/images/generations, /v1/audio/speech, /v1/models)"


def aware(t: dt.datetime) -> dt.datetime:
    """SQLite returns naive UTC datetimes; PostgreSQL aware ones."""
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def parse_networks(cidrs: Sequence[str]) -> list[str]:
    """Normalised CIDR strings (``10.0.0.0/8``, ``2001:db8::/32``, a bare address = /32 or /128)."""
    if len(cidrs) > MAX_ALLOW_IPS:
        raise ValidationFailed(message_en=f"at most {MAX_ALLOW_IPS} allowed address ranges",
                               message_zh=f"允许的地址范围至多 {MAX_ALLOW_IPS} 个")
    out = []
    for c in cidrs:
        try:
            out.append(str(ipaddress.ip_network(str(c).strip(), strict=False)))
        except ValueError as exc:
            raise ValidationFailed(message_en=f"not an address range (CIDR): {str(c)[:60]!r}",
                                   message_zh=f"不是有效的地址范围（CIDR）：{str(c)[:60]!r}") from exc
    return out


def address_allowed(ip: str | None, networks: Sequence[Network]) -> bool:
    if not ip:
        return False
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(addr.version == n.version and addr in n for n in networks)


def grant_of(row: TestChannel) -> ChannelGrant:
    return ChannelGrant(id=row.id, name=row.name, safety=row.safety, expires_at=aware(row.expires_at),
                        allow_ips=tuple(ipaddress.ip_network(c, strict=False) for c in row.allow_ips or ()),
                        user_id=row.user_id or "", revoked=row.revoked_at is not None)


def create(s: Session, *, name: str, safety: bool, issued_by: str, days: int = DEFAULT_DAYS,
           allow_ips: Sequence[str] = (), note: str = "", now: dt.datetime | None = None) -> tuple[TestChannel, str]:
    """A new channel, its app, key and test user; returns the row and the key (shown once)."""
    if not _NAME.match(name or ""):
        raise ValidationFailed(message_en="channel name: 1–63 letters, digits, '.', '_' or '-'",
                               message_zh="通道名称：1–63 个字母、数字、“.”、“_”或“-”")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(message_en=f"a test channel expires in 1–{MAX_DAYS} days",
                               message_zh=f"测试通道有效期须为 1–{MAX_DAYS} 天")
    if not isinstance(safety, bool):
        raise ValidationFailed(detail="safety must be on or off")
    nets = parse_networks(allow_ips)
    app_name = CHANNEL_APP_PREFIX + name
    if s.scalar(select(TestChannel.id).where(TestChannel.name == name)) or \
            s.scalar(select(App.id).where(App.name == app_name)):
        raise ValidationFailed(message_en=f"a test channel named {name} exists already",
                               message_zh=f"名为 {name} 的测试通道已存在")
    now = now or utcnow()
    app = App(name=app_name)
    s.add(app)
    s.flush()
    key, key_row = issue_channel_key(s, app)
    user = EndUser(app_id=app.id, external_id=f"regulator-test:{name}", kind=TEST_USER_KIND, status="verified",
                   verified_by=TEST_USER_VERIFIED_BY, verified_at=now, training_opt_out=True)
    s.add(user)
    s.flush()
    row = TestChannel(name=name, kind=KIND, app_id=app.id, key_id=key_row.id, user_id=user.id, safety=safety,
                      allow_ips=nets, note=(note or "")[:2000], issued_by=issued_by[:120], created_at=now,
                      expires_at=now + dt.timedelta(days=days))
    s.add(row)
    s.flush()
    return row, key


def revoke(s: Session, channel_id: str, by: str) -> tuple[TestChannel, str]:
    """Revoke the channel and its key; returns the row and the key hash (for the key cache)."""
    row = s.get(TestChannel, channel_id)
    if row is None:
        row = s.scalar(select(TestChannel).where(TestChannel.name == channel_id))
    if row is None:
        raise NotFound(detail=f"test channel {channel_id}")
    now = utcnow()
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by = now, by[:120]
    key = s.get(ApiKey, row.key_id)
    if key is not None and key.revoked_at is None:
        key.revoked_at = now
    app = s.get(App, row.app_id)
    if app is not None:
        app.active = False
    return row, key.key_hash if key is not None else ""


def listing(s: Session) -> list[TestChannel]:
    return list(s.scalars(select(TestChannel).order_by(TestChannel.created_at.desc())))


def state(row: TestChannel, now: dt.datetime | None = None) -> str:
    """``active`` | ``expired`` | ``revoked``."""
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if aware(row.expires_at) <= (now or utcnow()) else "active"


def active_safety_off(s: Session, now: dt.datetime | None = None) -> list[TestChannel]:
    now = now or utcnow()
    return list(s.scalars(select(TestChannel).where(TestChannel.safety.is_(False), TestChannel.revoked_at.is_(None),
                                                    TestChannel.expires_at > now)))


def note_expired(s: Session, now: dt.datetime | None = None) -> list[TestChannel]:
    """Channels that expired since last asked (marked now): the caller audits each once."""
    now = now or utcnow()
    rows = list(s.scalars(select(TestChannel).where(TestChannel.expires_at <= now, TestChannel.revoked_at.is_(None),
                                                    TestChannel.expiry_noted_at.is_(None))))
    for r in rows:
        r.expiry_noted_at = now
    return rows


def note_use(s: Session, channel_id: str, now: dt.datetime | None = None) -> bool:
    """Stamp the channel's last use; True on its first use (the caller audits it)."""
    now = now or utcnow()
    row = s.get(TestChannel, channel_id)
    if row is None:
        return False
    first = row.first_used_at is None
    if first:
        row.first_used_at = now
    row.last_used_at = now
    return first


def audit_detail(row: TestChannel) -> dict[str, object]:
    """What the audit entries say of a channel (never the key)."""
    return {"name": row.name, "kind": row.kind, "safety": "on" if row.safety else "off",
            "expires_at": aware(row.expires_at).isoformat(timespec="seconds"), "allow_ips": list(row.allow_ips or []),
            "note": row.note[:200], "issued_by": row.issued_by}


def is_test_user(user: EndUser) -> bool:
    return user.kind == TEST_USER_KIND
