"""Emergency drills (DS Art 7 emergency-response system): date, scenario, participants, findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.errors import ValidationFailed
from hegui.governance.common import items, log, now, parse_date, text
from hegui.governance.models import Drill


def add(s: Session, *, actor: str, held_on: str | dt.date, scenario: str, participants: Sequence[str],
        findings: str = "") -> Drill:
    day = parse_date(held_on, "date 日期")
    if day is None:
        raise ValidationFailed(message_en="date is required", message_zh="日期不能为空")
    if day > now().date() + dt.timedelta(days=1):
        raise ValidationFailed(message_en="a drill is recorded after it was held (date in the future)",
                               message_zh="演练须在举行后记录（日期晚于今天）")
    people = items(participants, "participants 参与人")
    if not people:
        raise ValidationFailed(message_en="participants are required", message_zh="参与人不能为空")
    row = Drill(held_on=day, scenario=text(scenario, "scenario 场景"), participants=people,
                findings=text(findings, "findings 发现", required=False), recorded_by=actor)
    s.add(row)
    s.flush()
    log(s, actor, "drill.recorded", f"drill:{row.id}", {"held_on": day.isoformat(), "participants": len(people)})
    return row


def listing(s: Session) -> list[Drill]:
    return list(s.scalars(select(Drill).order_by(Drill.held_on.desc())))


def latest(s: Session) -> Drill | None:
    return s.scalars(select(Drill).order_by(Drill.held_on.desc()).limit(1)).first()
