"""Minor mode (Interim Measures Art 10; PIPL Art 31; CAC minor-mode guide 2024 — limits are [U]).

Age comes from the ID card birth date. Under 18: daily request limits and quiet hours
(default 22:00–06:00, Asia/Shanghai) and the stricter ``minor`` policy profile. Under 14:
a recorded guardian consent is required before any use (PIPL Art 31).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from hegui.errors import MinorRestriction
from hegui.settings import MinorSettings


def add_years(born: dt.date, years: int) -> dt.date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February
        return born.replace(year=born.year + years, month=3, day=1)


@dataclass(frozen=True, slots=True)
class AgeMarks:
    """Only the birthdays that matter for the rules are kept, not the birth date itself."""

    age14_on: dt.date
    age16_on: dt.date
    adult_on: dt.date

    @classmethod
    def from_birth_date(cls, born: dt.date) -> "AgeMarks":
        return cls(add_years(born, 14), add_years(born, 16), add_years(born, 18))


def is_minor(adult_on: dt.date | None, today: dt.date) -> bool:
    return adult_on is not None and today < adult_on


def in_quiet_hours(now_local: dt.time, start: dt.time, end: dt.time) -> bool:
    if start <= end:
        return start <= now_local < end
    return now_local >= start or now_local < end


class MinorPolicy:
    def __init__(self, settings: MinorSettings) -> None:
        self.settings = settings
        self.tz = ZoneInfo(settings.timezone)

    def local_now(self, now: dt.datetime | None = None) -> dt.datetime:
        return (now or dt.datetime.now(dt.timezone.utc)).astimezone(self.tz)

    def day_start_utc(self, now: dt.datetime | None = None) -> dt.datetime:
        local = self.local_now(now)
        return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.timezone.utc)

    def daily_limit(self, age16_on: dt.date | None, today: dt.date) -> int:
        s = self.settings
        return s.daily_requests_under_16 if age16_on and today < age16_on else s.daily_requests_16_17

    def enforce(self, *, age14_on: dt.date | None, age16_on: dt.date | None, has_guardian_consent: bool,
                requests_today: int, now: dt.datetime | None = None) -> None:
        """Raise :class:`MinorRestriction` when a minor may not be served now."""
        local = self.local_now(now)
        today = local.date()
        if age14_on and today < age14_on and not has_guardian_consent:
            raise MinorRestriction(message_en="users under 14 need a recorded guardian consent (PIPL Art 31)",
                                   message_zh="未满十四周岁的用户须先取得并登记监护人同意（《个人信息保护法》第三十一条）")
        s = self.settings
        if in_quiet_hours(local.time(), s.quiet_start, s.quiet_end):
            span = f"{s.quiet_start:%H:%M}–{s.quiet_end:%H:%M}"
            raise MinorRestriction(message_en=f"minor mode: no service during quiet hours {span}",
                                   message_zh=f"未成年人模式：{span} 为休息时段，暂停服务")
        limit = self.daily_limit(age16_on, today)
        if requests_today >= limit:
            raise MinorRestriction(message_en=f"minor mode: daily limit of {limit} requests reached",
                                   message_zh=f"未成年人模式：已达到每日 {limit} 次的使用上限")
