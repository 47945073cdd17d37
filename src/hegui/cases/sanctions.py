"""Sanctions on end users: warn, restrict functions, suspend for a period, terminate — each with a
reason and a record (Interim Measures Art 14; DS Art 10), plus the automatic escalation rule
(GB/T 45654 7 e 1: screen inputs and publish a suspension rule; defaults 3 in a row / 5 a day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hegui.cases.errors import UserSanctioned
from hegui.cases.models import Sanction, ViolationCounter
from hegui.errors import NotFound, ValidationFailed
from hegui.identity.crypto import KeyRing
from hegui.records import audit
from hegui.settings import EscalationSettings
from hegui.storage.base import utcnow
from hegui.storage.models import EndUser

KINDS = ("warn", "restrict", "suspend", "terminate")
FUNCTIONS = ("chat", "images", "speech", "voice_clone", "face_swap")
KIND_ZH = {"restrict": "限制功能", "suspend": "暂停服务", "terminate": "终止服务", "warn": "警示"}
KIND_EN = {"restrict": "restricted", "suspend": "suspended", "terminate": "terminated", "warn": "warned"}
TZ = ZoneInfo("Asia/Shanghai")


def aware(t: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; they are UTC."""
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def impose(s: Session, keys: KeyRing, user_id: str, kind: str, reason: str, actor: str, *,
           hours: float | None = None, functions: Sequence[str] = (), case_id: str | None = None) -> Sanction:
    if kind not in KINDS:
        raise ValidationFailed(detail=f"sanction kind must be one of {', '.join(KINDS)}")
    if not reason.strip():
        raise ValidationFailed(message_en="a sanction needs a reason", message_zh="处置必须说明理由")
    if s.get(EndUser, user_id) is None:
        raise NotFound(detail=f"end user {user_id}")
    if kind == "suspend" and not (hours and hours > 0):
        raise ValidationFailed(message_en="a suspension needs a period in hours", message_zh="暂停服务须指定时长（小时）")
    bad = [f for f in functions if f not in FUNCTIONS]
    if kind == "restrict" and (bad or not functions):
        raise ValidationFailed(detail=f"restrict needs functions from {', '.join(FUNCTIONS)}")
    now = utcnow()
    row = Sanction(user_id=user_id, kind=kind, reason=reason.strip()[:2000], functions=list(functions),
                   actor=actor, case_id=case_id, starts_at=now,
                   ends_at=now + dt.timedelta(hours=hours) if kind == "suspend" and hours else None)
    s.add(row)
    s.flush()
    audit.append(s, actor, f"sanction.{kind}", audit.user_ref(keys, user_id),
                 {"sanction": row.id, "reason": row.reason, "hours": hours, "functions": list(functions),
                  "case": case_id})
    return row


def lift(s: Session, keys: KeyRing, sanction_id: str, actor: str, reason: str) -> Sanction:
    row = s.get(Sanction, sanction_id)
    if row is None:
        raise NotFound(detail=f"sanction {sanction_id}")
    row.lifted_at = utcnow()
    audit.append(s, actor, "sanction.lifted", audit.user_ref(keys, row.user_id), {"sanction": row.id, "reason": reason})
    return row


def active(s: Session, user_id: str, now: dt.datetime | None = None) -> list[Sanction]:
    now = now or utcnow()
    q = select(Sanction).where(Sanction.user_id == user_id, Sanction.lifted_at.is_(None), Sanction.kind != "warn",
                               Sanction.starts_at <= now, or_(Sanction.ends_at.is_(None), Sanction.ends_at > now))
    return list(s.scalars(q.order_by(Sanction.starts_at)))


def stop_if_sanctioned(s: Session, user_id: str, function: str | None, appeal: str) -> None:
    """Raise :class:`UserSanctioned` (with reason, period and the appeal route) if a sanction applies."""
    order = {"terminate": 0, "suspend": 1, "restrict": 2}
    for row in sorted(active(s, user_id), key=lambda r: order[r.kind]):
        if row.kind == "restrict" and function not in (row.functions or []):
            continue
        raise notice(row, appeal)


def notice(row: Sanction, appeal: str) -> UserSanctioned:
    """What the user is told: the measure, the reason, until when, and how to appeal."""
    until = aware(row.ends_at).astimezone(TZ).strftime("%Y-%m-%d %H:%M") if row.ends_at else None
    return UserSanctioned(kind_zh=KIND_ZH[row.kind], kind_en=KIND_EN[row.kind], reason=row.reason,
                          until_zh=f"至 {until}（北京时间）。" if until else "",
                          until_en=f"Until {until} (Beijing time). " if until else "", appeal=appeal)


def _counter(s: Session, user_id: str) -> ViolationCounter:
    """The user's counter row, created race-free (ON CONFLICT DO NOTHING) and locked on PostgreSQL:
    this runs inside the usage-record transaction, which must not fail on concurrent requests."""
    pg = s.get_bind().dialect.name == "postgresql"
    insert = pg_insert if pg else sqlite_insert
    s.execute(insert(ViolationCounter).values(user_id=user_id, streak=0, day=None, day_count=0)
              .on_conflict_do_nothing(index_elements=["user_id"]))
    q = select(ViolationCounter).where(ViolationCounter.user_id == user_id).execution_options(populate_existing=True)
    return s.scalars(q.with_for_update() if pg else q).one()


def count_input(s: Session, keys: KeyRing, user_id: str, violation: bool, rule: EscalationSettings) -> Sanction | None:
    """Update the refusal counters; suspend automatically when the published rule is met."""
    if not violation:  # the common case: one UPDATE that touches nothing unless a streak is running
        s.execute(update(ViolationCounter).where(ViolationCounter.user_id == user_id, ViolationCounter.streak > 0)
                  .values(streak=0))
        return None
    row = _counter(s, user_id)
    today = utcnow().astimezone(TZ).date()
    if row.day != today:
        row.day, row.day_count = today, 0
    row.streak += 1
    row.day_count += 1
    hit_streak = row.streak >= rule.refusals_in_a_row
    hit_day = row.day_count >= rule.refusals_per_day
    if not (hit_streak or hit_day) or any(x.kind in ("suspend", "terminate") for x in active(s, user_id)):
        return None
    why = (f"连续 {row.streak} 次输入被拒绝" if hit_streak else f"当日 {row.day_count} 次输入被拒绝")
    why_en = (f"{row.streak} refused inputs in a row" if hit_streak else f"{row.day_count} refused inputs today")
    row.streak = 0
    return impose(s, keys, user_id, "suspend",
                  f"自动处置：{why}（规则：连续 {rule.refusals_in_a_row} 次或当日 {rule.refusals_per_day} 次）/ "
                  f"automatic: {why_en} (rule: {rule.refusals_in_a_row} in a row or {rule.refusals_per_day} a day)",
                  "system:escalation", hours=rule.suspend_hours)
