"""Case workflow: received → triaged → in review → resolved / rejected → feedback sent, with
assignee and notes; every step also goes to the hash-chained audit log (Interim Measures Art 15;
PIPL Art 50: reasons when refusing)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.cases.calendar import WorkingCalendar
from hegui.cases.errors import BadTransition, CaseNotFound
from hegui.cases.models import Case, CaseEvent
from hegui.errors import ValidationFailed
from hegui.records import audit
from hegui.storage.base import utcnow

STATUSES = ("received", "triaged", "in_review", "resolved", "rejected", "feedback_sent")
OPEN = ("received", "triaged", "in_review", "resolved", "rejected")  # feedback still owed
NEXT = {
    "received": ("triaged", "rejected"),
    "triaged": ("in_review", "resolved", "rejected"),
    "in_review": ("resolved", "rejected"),
    "resolved": ("feedback_sent",),
    "rejected": ("feedback_sent",),
    "feedback_sent": (),
}
STATUS_ZH = {"received": "已受理", "triaged": "已分拣", "in_review": "处理中", "resolved": "已办结",
             "rejected": "不予支持", "feedback_sent": "已反馈"}
STATUS_EN = {"received": "received", "triaged": "triaged", "in_review": "in review", "resolved": "resolved",
             "rejected": "rejected", "feedback_sent": "feedback sent"}


def get_case(s: Session, key: str) -> Case:
    case = s.get(Case, key) or s.scalar(select(Case).where(Case.tracking == key))
    if case is None:
        raise CaseNotFound(detail=key)
    return case


def transition(s: Session, case: Case, dst: str, actor: str, note: str = "") -> Case:
    if dst not in NEXT.get(case.status, ()):
        raise BadTransition(src=case.status, dst=dst)
    note = (note or "").strip()
    if dst == "rejected" and not note:
        raise ValidationFailed(message_en="a rejection needs the reason (PIPL Art 50)",
                               message_zh="不予支持须说明理由（个人信息保护法第五十条）")
    if dst in ("resolved", "rejected"):
        case.resolution = note or case.resolution
        case.closed_at = utcnow()
    if dst == "feedback_sent":
        if not note:
            raise ValidationFailed(message_en="write the feedback sent to the complainant",
                                   message_zh="请填写反馈给投诉人的内容")
        case.feedback = note
    src, case.status = case.status, dst
    s.add(CaseEvent(case_id=case.id, actor=actor, kind="transition", src=src, dst=dst, note=note or None))
    audit.append(s, actor, "case.transition", f"case:{case.tracking}", {"from": src, "to": dst, "note": note[:500]})
    return case


def assign(s: Session, case: Case, assignee: str, actor: str) -> Case:
    case.assignee = assignee.strip() or None
    s.add(CaseEvent(case_id=case.id, actor=actor, kind="assign", note=case.assignee))
    audit.append(s, actor, "case.assigned", f"case:{case.tracking}", {"assignee": case.assignee})
    return case


def add_note(s: Session, case: Case, note: str, actor: str) -> Case:
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(message_en="the note is empty", message_zh="备注为空")
    s.add(CaseEvent(case_id=case.id, actor=actor, kind="note", note=note[:5000]))
    audit.append(s, actor, "case.note", f"case:{case.tracking}", {"chars": len(note)})
    return case


def events(s: Session, case: Case) -> list[CaseEvent]:
    return list(s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.at)))


@dataclass
class Alert:
    case: Case
    kind: str  # overdue | due_soon | no_deadline
    working_days_left: int | None

    @property
    def provisional(self) -> bool:
        return self.case.due_provisional


def alerts(s: Session, calendar: WorkingCalendar, due_soon: int, today: dt.date) -> list[Alert]:
    """Open cases that are overdue, due within ``due_soon`` working days, or lack a deadline
    (only cases from before provisional deadlines existed; ``hegui cases calendar recompute``).

    A provisional deadline can be one working day later than the official one (a make-up working
    day inside the period, see :mod:`hegui.cases.calendar`), so it counts as due soon one working
    day earlier. Working days left are counted on the same weekend-only rule where needed."""
    out = []
    for case in s.scalars(select(Case).where(Case.status.in_(OPEN)).order_by(Case.due_on)):
        if case.due_on is None:
            out.append(Alert(case, "no_deadline", None))
            continue
        left = calendar.working_days_between(today, case.due_on, provisional_ok=True)
        if case.due_on < today:
            out.append(Alert(case, "overdue", left))
        elif left <= due_soon + (1 if case.due_provisional else 0):
            out.append(Alert(case, "due_soon", left))
    return out
