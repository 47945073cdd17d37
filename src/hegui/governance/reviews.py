"""Science-and-technology ethics and security reviews of new features and models (DS Art 7:
S&T ethics review, information release review; IM Art 17 before launch): who, when, subject,
conclusion, evidence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hegui.errors import ValidationFailed
from hegui.governance.common import choice, items, log, now, parse_date, text
from hegui.governance.models import Review

KINDS = ("ethics", "security")
CONCLUSIONS = ("approve", "approve_with_conditions", "reject")


def add(s: Session, *, actor: str, kind: str, subject: str, reviewers: Sequence[str], conclusion: str,
        reviewed_on: str | dt.date | None = None, conditions: str = "", evidence: Sequence[str] = ()) -> Review:
    choice(kind, KINDS, "kind 类型")
    choice(conclusion, CONCLUSIONS, "conclusion 结论")
    day = parse_date(reviewed_on, "date 日期") or now().date()
    who = items(reviewers, "reviewers 评审人")
    if not who:
        raise ValidationFailed(message_en="reviewers are required", message_zh="评审人不能为空")
    cond = text(conditions, "conditions 条件", required=False)
    if conclusion == "approve_with_conditions" and not cond:
        raise ValidationFailed(message_en="approve_with_conditions needs the conditions (--conditions)",
                               message_zh="附条件通过须写明条件（--conditions）")
    row = Review(kind=kind, subject=text(subject, "subject 评审对象"), reviewers=who, reviewed_on=day,
                 conclusion=conclusion, conditions=cond, evidence=items(evidence, "evidence 证据"),
                 recorded_by=actor)
    s.add(row)
    s.flush()
    log(s, actor, "review.recorded", f"review:{row.id}",
        {"kind": kind, "conclusion": conclusion, "reviewed_on": day.isoformat(), "reviewers": who})
    return row


def listing(s: Session) -> list[Review]:
    return list(s.scalars(select(Review).order_by(Review.reviewed_on.desc())))


def count(s: Session) -> int:
    return int(s.scalar(select(func.count()).select_from(Review)) or 0)
