"""IM-10-D live evidence: anti-dependence for every user (Interim Measures Art 10).

Met when the continuous-use reminder is on (``usage.reminder_minutes`` > 0) and a self-test of the
gateway's own gate at the configured values shows it fires: a user who sends a request every few
minutes, closer together than ``usage.session_gap_minutes``, gets the reminder once the threshold
has passed (a gap setting shorter than any realistic pause would silently disable it). The reasons
also report how many reminders the usage records hold and whether an adult daily limit is set.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from hegui.identity.dependence import REMINDER, reminder_due, span
from hegui.obligations.register import Finding, Status
from hegui.storage.models import UsageRecord

if TYPE_CHECKING:
    from hegui.app.services import Services
    from hegui.settings import UsageSettings

#: the self-test user's pace: one request every this many minutes
SELF_TEST_PACE_MINUTES = 5


def reminder_self_test(u: UsageSettings) -> bool:
    """Does a steady user (a request every 5 minutes) get a reminder within 1.5 × the threshold?"""
    if u.reminder_minutes <= 0:
        return False
    pace = dt.timedelta(minutes=SELF_TEST_PACE_MINUTES)
    start = dt.datetime(2026, 1, 1, 8, tzinfo=dt.timezone.utc)
    times: list[dt.datetime] = []
    gap = dt.timedelta(minutes=u.session_gap_minutes)
    for i in range(int(u.reminder_minutes * 1.5 // SELF_TEST_PACE_MINUTES) + 2):
        now = start + i * pace
        if reminder_due(span(times, now, gap, start), u.reminder_minutes):
            return True
        times.append(now)
    return False


def dependence_finding(sv: Services) -> Finding:
    u = sv.settings.usage
    with sv.db.session() as s:
        shown = s.scalar(select(func.count()).select_from(UsageRecord).where(UsageRecord.notice == REMINDER)) or 0
    limit_zh = f"成年人每日使用上限 {u.adult_daily_limit_minutes} 分钟" if u.adult_daily_limit_minutes else "未设成年人每日上限"
    limit_en = (f"adult daily limit {u.adult_daily_limit_minutes} minutes" if u.adult_daily_limit_minutes
                else "no adult daily limit")
    if u.reminder_minutes <= 0:
        return Finding(Status.NOT_MET, f"连续使用提醒已关闭（usage.reminder_minutes = 0）；{limit_zh}",
                       f"the continuous-use reminder is off (usage.reminder_minutes = 0); {limit_en}")
    if not reminder_self_test(u):
        return Finding(Status.NOT_MET,
                       f"自检：每 {SELF_TEST_PACE_MINUTES} 分钟请求一次的用户收不到提醒（usage.session_gap_minutes = "
                       f"{u.session_gap_minutes} 过短）",
                       f"self-test: a user making a request every {SELF_TEST_PACE_MINUTES} minutes never gets the reminder "
                       f"(usage.session_gap_minutes = {u.session_gap_minutes} is too short)")
    return Finding(Status.MET,
                   f"连续使用 {u.reminder_minutes} 分钟提醒（自检通过，已提醒 {shown} 次）；{limit_zh}；未成年人另受未成年人模式限制",
                   f"reminder after {u.reminder_minutes} minutes of continuous use (self-test passed, {shown} shown so "
                   f"far); {limit_en}; minors also get minor-mode limits")
