"""Case deadlines: computed at intake (provisionally where the calendar lacks a year) and
recomputed when the operator imports an official holiday arrangement.

The basis of a deadline is stored with the case in ``result["deadline"]``; a provisional one names
the years counted on the weekend-only rule (see :mod:`hegui.cases.calendar`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.cases.calendar import Deadline, WorkingCalendar
from hegui.cases.config import CasesConfig
from hegui.cases.models import Case, CaseEvent
from hegui.cases.workflow import OPEN
from hegui.records import audit

RULE = "weekends_only"


def compute(calendar: WorkingCalendar, cfg: CasesConfig, case_type: str, received: dt.date) -> Deadline:
    return calendar.deadline(received, cfg.case_types[case_type].working_days)


def basis(deadline: Deadline, calendar: WorkingCalendar) -> dict:
    if deadline.provisional:
        return {"provisional": True, "assumed_years": list(deadline.assumed_years), "rule": RULE,
                "calendar": calendar.version}
    return {"provisional": False, "calendar": calendar.version}


def apply(case: Case, deadline: Deadline, calendar: WorkingCalendar) -> None:
    case.due_on = deadline.due_on
    # reassign (not mutate) so the JSON column is written
    case.result = {**(case.result or {}), "deadline": basis(deadline, calendar)}


def note_for(deadline: Deadline) -> str | None:
    if not deadline.provisional:
        return None
    years = ", ".join(map(str, deadline.assumed_years))
    return (f"deadline {deadline.due_on} is PROVISIONAL: the calendar does not cover {years}, counted weekends only "
            f"(no holidays); import the official arrangement (hegui cases calendar import) / 期限 {deadline.due_on} "
            f"为暂定：工作日历未覆盖 {years} 年，仅按周末计算（未计节假日）；请导入正式节假日安排")


@dataclass(frozen=True)
class Change:
    tracking: str
    old_due: dt.date | None
    new_due: dt.date
    was_provisional: bool
    provisional: bool


def recompute(s: Session, calendar: WorkingCalendar, cfg: CasesConfig, actor: str,
              include_official: bool = False) -> list[Change]:
    """Recompute the deadlines of open cases that are provisional or have none (and, with
    ``include_official``, every open case: after correcting a covered year). Each change is a
    case event and an audit entry, in the caller's transaction."""
    changes: list[Change] = []
    for case in s.scalars(select(Case).where(Case.status.in_(OPEN)).order_by(Case.received_on)):
        if not (include_official or case.due_on is None or case.due_provisional):
            continue
        if case.type not in cfg.case_types:
            continue
        new = compute(calendar, cfg, case.type, case.received_on)
        was = case.due_provisional or case.due_on is None
        if (new.due_on == case.due_on and new.provisional == case.due_provisional
                and list(new.assumed_years) == case.provisional_years):
            continue
        old = case.due_on
        apply(case, new, calendar)
        if old != new.due_on:
            case.alerted = None  # alerts for the old date no longer hold
        state_en = "provisional, weekends only" if new.provisional else "official calendar"
        state_zh = "暂定，仅按周末计算" if new.provisional else "按正式节假日安排"
        s.add(CaseEvent(case_id=case.id, actor=actor, kind="note",
                        note=f"deadline recomputed {old or '—'} → {new.due_on} ({state_en}) / "
                             f"期限重新计算 {old or '—'} → {new.due_on}（{state_zh}）"))
        audit.append(s, actor, "case.deadline_recomputed", f"case:{case.tracking}",
                     {"from": old, "to": new.due_on, "was_provisional": was, "provisional": new.provisional,
                      "assumed_years": list(new.assumed_years), "calendar": calendar.version})
        changes.append(Change(case.tracking, old, new.due_on, was, new.provisional))
    return changes


def count_provisional(s: Session) -> int:
    return sum(1 for c in s.scalars(select(Case).where(Case.status.in_(OPEN))) if c.due_provisional or c.due_on is None)
