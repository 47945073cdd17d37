"""Annotators (Interim Measures Art 8: train annotators; GB/T 45674: four recorded roles, training,
qualification test and periodic re-examination, access revoked for departed staff).

Only an operator-given code and initials are kept (PIPL Art 6, minimisation). Qualification: the
latest test's score ≥ the pass mark in force when taken, and taken within ``reexam_months``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hegui.annotation.errors import AnnotationNotFound
from hegui.annotation.models import Annotator, QualificationTest, Training
from hegui.errors import ValidationFailed
from hegui.governance.common import choice, log, now, parse_date, text

ROLES = ("executor", "reviewer", "arbitrator", "supervisor")
ROLE_ZH = {"executor": "执行（标注）", "reviewer": "审核", "arbitrator": "仲裁", "supervisor": "监督"}
DUE_SOON_DAYS = 30
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_INITIALS = re.compile(r"^[A-Za-z.\-\u4e00-\u9fff ]{1,16}$")


def add_months(day: dt.date, months: int) -> dt.date:
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _day(value: str | dt.date | None, field: str) -> dt.date:
    day = parse_date(value, field) if value not in (None, "") else now().date()
    assert day is not None
    if day > now().date() + dt.timedelta(days=1):
        raise ValidationFailed(message_en=f"{field}: recorded after it happened (date in the future)",
                               message_zh=f"{field}：须在发生后记录（日期晚于今天）")
    return day


def add(s: Session, *, actor: str, code: str, initials: str, roles: list[str]) -> Annotator:
    code = (code or "").strip()
    if not _CODE.match(code):
        raise ValidationFailed(message_en="code: 1–40 letters, digits, '.', '_' or '-' (an id, not a name)",
                               message_zh="编号：1–40 位字母、数字或 . _ -（编号而非姓名）")
    initials = (initials or "").strip()
    if not _INITIALS.match(initials):
        raise ValidationFailed(message_en="initials: at most 16 letters (initials only, not a full name — PIPL)",
                               message_zh="姓名缩写：至多 16 个字符（仅缩写，不存全名——个人信息保护法）")
    roles = sorted({choice(r.strip(), ROLES, "role 角色") for r in roles if r.strip()}, key=ROLES.index)
    if not roles:
        raise ValidationFailed(message_en="at least one role is required", message_zh="至少需要一个角色")
    if s.scalars(select(Annotator).where(Annotator.code == code)).first():
        raise ValidationFailed(message_en=f"annotator {code} already exists", message_zh=f"标注人员 {code} 已存在")
    row = Annotator(code=code, initials=initials, roles=roles, recorded_by=actor)
    s.add(row)
    s.flush()
    log(s, actor, "annotation.annotator_added", f"ann_annotator:{code}", {"roles": roles})
    return row


def get(s: Session, code: str) -> Annotator:
    row = s.scalars(select(Annotator).where(Annotator.code == code)).first()
    if row is None:
        raise AnnotationNotFound(what_zh="标注人员", what_en="annotator", id=code)
    return row


def train(s: Session, code: str, *, actor: str, course: str, hours: float,
          held_on: str | dt.date | None = None) -> Training:
    a = get(s, code)
    if not 0 < float(hours) <= 1000:
        raise ValidationFailed(message_en="hours: more than 0 and at most 1000", message_zh="学时：须大于 0 且不超过 1000")
    row = Training(annotator_id=a.id, held_on=_day(held_on, "date 日期"), course=text(course, "course 课程", limit=200),
                   hours=float(hours), recorded_by=actor)
    s.add(row)
    s.flush()
    log(s, actor, "annotation.training", f"ann_annotator:{code}", {"course": row.course, "hours": row.hours})
    return row


def record_test(s: Session, code: str, *, actor: str, score: float, pass_mark: float,
                taken_on: str | dt.date | None = None) -> QualificationTest:
    """A qualification test; ``score`` and ``pass_mark`` are fractions 0..1 (0.9 = 90 %)."""
    a = get(s, code)
    if not 0 <= float(score) <= 1:
        raise ValidationFailed(message_en="score: a fraction between 0 and 1 (0.92 = 92 %)",
                               message_zh="成绩：须为 0 到 1 之间的小数（0.92 即 92%）")
    if not 0 < pass_mark <= 1:
        raise ValidationFailed(message_en="pass mark: a fraction in (0, 1]", message_zh="合格线：须在 (0, 1] 之间")
    row = QualificationTest(annotator_id=a.id, taken_on=_day(taken_on, "date 日期"), score=float(score),
                            pass_mark=pass_mark, passed=float(score) >= pass_mark, recorded_by=actor)
    s.add(row)
    s.flush()
    log(s, actor, "annotation.test", f"ann_annotator:{code}", {"score": row.score, "passed": row.passed})
    return row


def deactivate(s: Session, code: str, *, actor: str) -> Annotator:
    """Departed staff: access revoked; a deactivated annotator is never assigned again."""
    a = get(s, code)
    if a.active:
        a.active, a.deactivated_at = False, now()
        log(s, actor, "annotation.annotator_deactivated", f"ann_annotator:{code}", {})
    return a


@dataclass(frozen=True)
class Qualification:
    state: str  # qualified | due | expired | failed | untested | deactivated
    last_test: dt.date | None
    score: float | None
    expires: dt.date | None
    training_hours: float

    @property
    def qualified(self) -> bool:
        return self.state in ("qualified", "due")


def qualification(s: Session, a: Annotator, reexam_months: int, today: dt.date | None = None) -> Qualification:
    today = today or now().date()
    hours = float(s.scalar(select(func.coalesce(func.sum(Training.hours), 0)).where(Training.annotator_id == a.id)))
    last = s.scalars(select(QualificationTest).where(QualificationTest.annotator_id == a.id)
                     .order_by(QualificationTest.taken_on.desc(), QualificationTest.created_at.desc()).limit(1)).first()
    if last is None:
        return Qualification("deactivated" if not a.active else "untested", None, None, None, hours)
    expires = add_months(last.taken_on, reexam_months)
    if not a.active:
        state = "deactivated"
    elif not last.passed:
        state = "failed"
    elif today >= expires:
        state = "expired"
    elif (expires - today).days <= DUE_SOON_DAYS:
        state = "due"
    else:
        state = "qualified"
    return Qualification(state, last.taken_on, last.score, expires, hours)


def listing(s: Session) -> list[Annotator]:
    return list(s.scalars(select(Annotator).order_by(Annotator.code)))


def trainings(s: Session, a: Annotator) -> list[Training]:
    return list(s.scalars(select(Training).where(Training.annotator_id == a.id).order_by(Training.held_on)))
