"""Anti-dependence for every user (Interim Measures Art 10: prevent over-reliance and addiction —
not only for minors, whose stricter limits live in :mod:`hegui.identity.minors`).

Time in use is read from the user's own usage records (the network log the provider keeps
anyway, CSL Art 21), so nothing new about the person is collected: requests closer together than
``usage.session_gap_minutes`` are one stretch of continuous use, and a day's time in use is the sum
of those stretches inside the local day. A reminder goes with the first answer after each full
``usage.reminder_minutes`` of continuous use; past ``usage.adult_daily_limit_minutes`` (when set)
an adult is refused until the next local day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.errors import IdentityError
from hegui.settings import UsageSettings
from hegui.storage.models import UsageRecord

#: the usage record's ``notice`` when a continuous-use reminder went with the answer
REMINDER = "reminder"
#: records looked at: a day of dense use is far below this
_MAX_ROWS = 20_000


class UsageLimitReached(IdentityError):
    """Interim Measures Art 10: the configured daily time in use is spent."""

    code: ClassVar[str] = "USAGE_LIMIT_REACHED"
    http_status: ClassVar[int] = 429
    message_zh: ClassVar[str] = "防沉迷：今日使用时长已达 {minutes} 分钟上限，请明日再来（《生成式人工智能服务管理暂行办法》第十条）"
    message_en: ClassVar[str] = ("Anti-dependence: today's limit of {minutes} minutes in use is reached; please come back "
                                 "tomorrow (Interim Measures Art 10)")


@dataclass(frozen=True, slots=True)
class UsageSpan:
    continuous: dt.timedelta  # the current stretch of continuous use, up to now
    before: dt.timedelta  # the same stretch as it stood at the previous request
    today: dt.timedelta  # time in use inside the local day


def span(times: Sequence[dt.datetime], now: dt.datetime, gap: dt.timedelta, day_start: dt.datetime) -> UsageSpan:
    """Usage measured from earlier request times (any order) and this request at ``now``."""
    ts = sorted(t for t in times if t <= now) + [now]
    start = len(ts) - 1
    while start > 0 and ts[start] - ts[start - 1] <= gap:
        start -= 1
    continuous = now - ts[start]
    before = ts[-2] - ts[start] if len(ts) >= 2 and start < len(ts) - 1 else dt.timedelta(0)
    today = dt.timedelta(0)
    for a, b in zip(ts, ts[1:]):
        if b - a <= gap and b > day_start:
            today += b - max(a, day_start)
    return UsageSpan(continuous, before, today)


def reminder_due(s: UsageSpan, every_minutes: int) -> bool:
    """A reminder with the first answer after each full ``every_minutes`` of continuous use."""
    if every_minutes <= 0:
        return False
    every = dt.timedelta(minutes=every_minutes)
    return s.continuous // every > s.before // every


def reminder_text(minutes: int) -> dict[str, str]:
    hours = f"{minutes // 60} 小时" if minutes % 60 == 0 else f"{minutes} 分钟"
    return {"zh": f"防沉迷提醒：您已连续使用 {hours}，请注意休息，合理使用人工智能服务。",
            "en": f"Reminder: you have been using this service for {minutes} minutes without a break; "
                  "please take a rest and do not rely on AI too much."}


class UsagePolicy:
    """The anti-dependence gate, run by the gateway's Admit step for each request."""

    def __init__(self, settings: UsageSettings, timezone: str = "Asia/Shanghai") -> None:
        self.settings = settings
        self.tz = ZoneInfo(timezone)

    @property
    def active(self) -> bool:
        return self.settings.reminder_minutes > 0 or self.settings.adult_daily_limit_minutes > 0

    def measure(self, s: Session, user_id: str, now: dt.datetime | None = None) -> UsageSpan:
        now = now or dt.datetime.now(dt.timezone.utc)
        local = now.astimezone(self.tz)
        day_start = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.timezone.utc)
        since = min(day_start, now - dt.timedelta(hours=24))
        rows = s.scalars(select(UsageRecord.created_at).where(
            UsageRecord.user_id == user_id, UsageRecord.created_at >= since,
            UsageRecord.status.in_(("ok", "refused", "cut"))).order_by(UsageRecord.created_at.desc())
            .limit(_MAX_ROWS)).all()
        times = [t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc) for t in rows]
        return span(times, now, dt.timedelta(minutes=self.settings.session_gap_minutes), day_start)

    def admit(self, s: Session, user_id: str, *, adult: bool, now: dt.datetime | None = None) -> dict[str, str] | None:
        """Raise :class:`UsageLimitReached` past an adult's daily limit; else the reminder notice
        (``{"zh", "en", "minutes"}``) when one is due, or ``None``."""
        if not self.active:
            return None
        used = self.measure(s, user_id, now)
        limit = self.settings.adult_daily_limit_minutes
        if adult and limit > 0 and used.today >= dt.timedelta(minutes=limit):
            raise UsageLimitReached(minutes=limit)
        if reminder_due(used, self.settings.reminder_minutes):
            minutes = int(used.continuous.total_seconds() // 60)
            return {**reminder_text(minutes), "minutes": str(minutes)}
        return None
