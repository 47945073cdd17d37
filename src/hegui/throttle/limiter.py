"""Database-backed rate limits and lockouts, shared by every gateway process using one database.

Each rule (:class:`hegui.settings.ThrottleRule`) counts events per subject (API key, operator
account, client address, phone number, end user, app) in a fixed window. One row per
``rule:subject`` is incremented by a single atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING``
(PostgreSQL and SQLite alike), so concurrent processes never lose a count. Past the limit the
subject is refused until the window ends, or locked for ``lockout_seconds``. The start of a
lockout is written to the audit log (actor ``system:throttle``); the refusals themselves are not,
so a flood cannot flood the hash-chained log. Subjects are stored as keyed pseudonyms only
(PIPL Art 51): no address, phone number or key in clear.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable, Sequence

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hegui.identity.crypto import KeyRing
from hegui.records import audit
from hegui.settings import ThrottleRule, ThrottleSettings
from hegui.storage.db import Database
from hegui.storage.models import RateCounter
from hegui.throttle.errors import RateLimited

# What each rule counts, for the zh/en 429 message.
WHAT = {
    "api_key_failures_per_ip": ("来自该地址的错误 API 密钥请求", "requests with wrong API keys from this address"),
    "api_key_requests": ("使用该 API 密钥的请求", "requests with this API key"),
    "test_channel_requests": ("该测试通道的请求", "requests through this test channel"),
    "login_failures_per_account": ("该账号的登录失败", "failed logins for this account"),
    "login_failures_per_ip": ("来自该地址的登录失败", "failed logins from this address"),
    "sms_per_phone": ("向该手机号发送验证码", "verification codes sent to this number"),
    "sms_per_phone_daily": ("向该手机号发送验证码", "verification codes sent to this number today"),
    "sms_per_user": ("为该用户发送验证码", "verification codes requested for this user"),
    "sms_per_app": ("该应用发送验证码", "verification codes sent by this application"),
    "id_checks_per_user": ("该用户的身份核验", "identity checks for this user"),
    "inspect_requests": ("使用该 API 密钥的上传检测", "upload inspections with this API key"),
}
PURGE_EVERY = 1000  # hits per process between removals of finished windows


class Throttle:
    """Named rules from :class:`ThrottleSettings`, enforced with counters in the database."""

    def __init__(self, db: Database, settings: ThrottleSettings, keys: KeyRing,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.settings = settings
        self.keys = keys
        self.clock = clock
        self._hits = 0
        self._lock = threading.Lock()
        self._trusted = [ipaddress.ip_network(p, strict=False) for p in settings.trusted_proxies]

    def rule(self, name: str) -> ThrottleRule:
        if name not in WHAT:
            raise KeyError(name)
        return getattr(self.settings, name)

    def bucket(self, name: str, subject: str) -> str:
        return f"{name}:{self.keys.pseudonym(subject, 'throttle')[:48]}"

    def _refusal(self, name: str, retry_after: int) -> RateLimited:
        zh, en = WHAT[name]
        return RateLimited(what_zh=zh, what_en=en, retry_after=max(1, retry_after))

    # -- the two operations ---------------------------------------------------------------------
    def peek(self, name: str, subject: str) -> None:
        """Raise :class:`RateLimited` if ``subject`` is locked or has used up the current window
        (for failure counters: checked before the attempt, counted only when it fails)."""
        rule = self.rule(name)
        if rule.limit == 0:
            return
        now = int(self.clock())
        start = now - now % rule.window_seconds
        with self.db.session() as s:
            row = s.get(RateCounter, self.bucket(name, subject))
            if row is None:
                return
            if row.locked_until > now:
                raise self._refusal(name, row.locked_until - now)
            if row.locked_until == 0 and row.window_start == start and row.count >= rule.limit:
                raise self._refusal(name, start + rule.window_seconds - now)

    def hit(self, name: str, subject: str, *, refuse: bool = True, hint: str = "") -> int:
        """Count one event for ``subject``; returns the count in the current window.

        ``refuse=True`` (requests, SMS): the event past the limit is itself refused.
        ``refuse=False`` (failed logins): the event is only counted; reaching the limit locks the
        subject, so the *next* attempt is refused by :meth:`peek`. ``hint`` is what the audit
        entry shows of the subject (a masked number, a username, an address)."""
        rule = self.rule(name)
        if rule.limit == 0:
            return 0
        now = int(self.clock())
        start = now - now % rule.window_seconds
        bucket = self.bucket(name, subject)
        with self.db.session() as s:
            pg = s.get_bind().dialect.name == "postgresql"
            ins = (pg_insert if pg else sqlite_insert)(RateCounter).values(
                bucket=bucket, window_start=start, count=1, locked_until=0)
            locked = RateCounter.locked_until > now
            stmt = ins.on_conflict_do_update(index_elements=["bucket"], set_={
                "count": case((locked, RateCounter.count), (RateCounter.locked_until > 0, 1),
                              (RateCounter.window_start == start, RateCounter.count + 1), else_=1),
                "window_start": case((locked, RateCounter.window_start), else_=start),
                "locked_until": case((locked, RateCounter.locked_until), else_=0),
            }).returning(RateCounter.count, RateCounter.locked_until)
            count, locked_until = s.execute(stmt).one()
            if locked_until > now:
                if refuse:
                    raise self._refusal(name, locked_until - now)
                return count
            edge = rule.limit + 1 if refuse else rule.limit
            if count < edge:
                self._maybe_purge()
                return count
            until = now + rule.lockout_seconds if rule.lockout_seconds else start + rule.window_seconds
            if count == edge:  # this event crossed the limit: lock and audit once
                if rule.lockout_seconds:
                    s.execute(update(RateCounter).where(RateCounter.bucket == bucket).values(locked_until=until))
                audit.append(s, "system:throttle", "throttle.limited", f"throttle:{name}",
                             {"subject": hint[:80] or bucket.rsplit(":", 1)[1][:16], "count": count,
                              "limit": rule.limit, "window_seconds": rule.window_seconds,
                              "locked_seconds": until - now})
        if refuse:
            raise self._refusal(name, until - now)
        return count

    def reset(self, name: str, subject: str) -> None:
        """Forget ``subject``'s count (e.g. an operator's own failures after a correct login)."""
        with self.db.session() as s:
            s.execute(delete(RateCounter).where(RateCounter.bucket == self.bucket(name, subject),
                                                RateCounter.locked_until <= int(self.clock())))

    def purge(self) -> int:
        """Remove rows whose window and lockout are both over."""
        now = int(self.clock())
        longest = max(getattr(self.settings, n).window_seconds for n in WHAT)
        with self.db.session() as s:
            return s.execute(delete(RateCounter).where(RateCounter.locked_until <= now,
                                                       RateCounter.window_start < now - longest)).rowcount

    def _maybe_purge(self) -> None:
        with self._lock:
            self._hits += 1
            due = self._hits % PURGE_EVERY == 0
        if due:
            self.purge()

    # -- who is asking --------------------------------------------------------------------------
    def client_ip(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client address: the peer, or — only when the peer is a configured trusted proxy —
        the nearest untrusted hop of ``X-Forwarded-For``."""
        ip = peer or "unknown"
        if forwarded_for and self._is_trusted(ip):
            for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
                ip = hop
                if not self._is_trusted(hop):
                    break
        return ip[:64]

    def _is_trusted(self, ip: str) -> bool:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(addr in net for net in self._trusted)

    def locked_subjects(self, names: Sequence[str] = tuple(WHAT)) -> list[tuple[str, int]]:
        """``(bucket, locked_until)`` of every current lockout (for operators)."""
        now = int(self.clock())
        with self.db.session() as s:
            rows = s.execute(select(RateCounter.bucket, RateCounter.locked_until)
                             .where(RateCounter.locked_until > now)).all()
        return [(b, u) for b, u in rows if b.split(":", 1)[0] in names]
