"""IM-10-D anti-dependence for all users: measuring use, the gateway's reminder and adult daily
limit, and the register row (Interim Measures Art 10; issue 11)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from hegui.identity.dependence import reminder_due, span
from hegui.obligations.dependence import dependence_finding, reminder_self_test
from hegui.obligations.register import Status
from hegui.settings import UsageSettings
from hegui.storage.models import EndUser, UsageRecord

T0 = dt.datetime(2026, 5, 1, 8, tzinfo=dt.timezone.utc)
GAP = dt.timedelta(minutes=30)
M = dt.timedelta(minutes=1)


def test_span_counts_continuous_use_and_breaks_on_a_pause():
    times = [T0 + i * 5 * M for i in range(25)]  # 08:00 … 10:00, every 5 minutes
    s = span(times, T0 + 125 * M, GAP, T0)
    assert s.continuous == 125 * M and s.before == 120 * M and s.today == 125 * M
    s = span(times, T0 + 200 * M, GAP, T0)  # after a 80-minute pause: a new stretch
    assert s.continuous == dt.timedelta(0) and s.today == 120 * M


def test_reminder_once_per_threshold():
    times = [T0 + i * 5 * M for i in range(24)]  # up to 09:55
    assert reminder_due(span(times, T0 + 120 * M, GAP, T0), 120)
    assert not reminder_due(span(times + [T0 + 120 * M], T0 + 125 * M, GAP, T0), 120)
    assert not reminder_due(span(times, T0 + 120 * M, GAP, T0), 0)


def test_register_row_flips_on_configuration(make_services):
    assert dependence_finding(make_services()).status is Status.MET
    f = dependence_finding(make_services(usage={"reminder_minutes": 0}))
    assert f.status is Status.NOT_MET and "reminder_minutes = 0" in f.reason_en
    assert not reminder_self_test(UsageSettings(reminder_minutes=120, session_gap_minutes=1))
    f = dependence_finding(make_services(usage={"session_gap_minutes": 2}))
    assert f.status is Status.NOT_MET and "too short" in f.reason_en


def _history(gw, name: str, minutes: int) -> None:
    """Requests every 5 minutes over the last ``minutes`` (inside the local day)."""
    sv = gw.services
    now = dt.datetime.now(dt.timezone.utc)
    with sv.db.session() as s:
        uid = s.scalar(select(EndUser.id).where(EndUser.external_id == name))
        for i in range(minutes // 5, 0, -1):
            s.add(UsageRecord(request_id=f"hist-{i}", user_id=uid, endpoint="chat.completions", status="ok",
                              created_at=now - dt.timedelta(minutes=5 * i)))


def _minutes_into_local_day() -> float:
    from zoneinfo import ZoneInfo

    local = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    return local.hour * 60 + local.minute


def test_gateway_reminds_once_and_records_it(gateway_factory):
    if _minutes_into_local_day() < 40:
        pytest.skip("too close to local midnight for a same-day history")
    gw = gateway_factory(usage={"reminder_minutes": 30})
    name = gw.verified_user("steady")
    _history(gw, name, 30)
    r = gw.chat("你好", user=name)
    assert r.status_code == 200, r.text
    notice = r.json()["hegui"]["notice"]
    assert "连续使用" in notice["zh"] and "without a break" in notice["en"]
    r = gw.chat("你好", user=name)
    assert "notice" not in r.json()["hegui"]  # once per threshold
    with gw.services.db.session() as s:
        assert s.scalar(select(UsageRecord.notice).where(UsageRecord.notice.is_not(None))) == "reminder"
    assert "1 shown" in dependence_finding(gw.services).reason_en


def test_gateway_stream_carries_the_reminder(gateway_factory):
    if _minutes_into_local_day() < 40:
        pytest.skip("too close to local midnight for a same-day history")
    gw = gateway_factory(usage={"reminder_minutes": 30})
    name = gw.verified_user("streamer")
    _history(gw, name, 30)
    r = gw.chat("你好", user=name, stream=True)
    assert r.status_code == 200 and "防沉迷提醒" in r.text


def test_gateway_refuses_an_adult_past_the_daily_limit(gateway_factory):
    if _minutes_into_local_day() < 40:
        pytest.skip("too close to local midnight for a same-day history")
    gw = gateway_factory(usage={"adult_daily_limit_minutes": 20})
    name = gw.verified_user("heavy")
    assert gw.chat("你好", user=name).status_code == 200
    _history(gw, name, 30)
    r = gw.chat("你好", user=name)
    assert r.status_code == 429, r.text
    err = r.json()["error"]
    assert err["code"] == "USAGE_LIMIT_REACHED" and "20 分钟" in err["message_zh"] and "20 minutes" in err["message_en"]
