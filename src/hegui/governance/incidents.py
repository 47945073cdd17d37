"""Incident register and emergency response (DS Art 7 emergency-response system; Interim
Measures Art 14: take measures, report to the competent authority).

State machine: detected → classified → contained → reported → closed, where a report may come
before containment and an incident whose kind has no report rule may close once contained. Each
transition stamps its time and is audited (``incident.<state>``). The report deadline is
``detected_at + report_hours[kind]`` (``governance.report_hours``, hegui's reading of "promptly" [U]).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.errors import ValidationFailed
from hegui.governance.common import aware, choice, items, log, now, parse_time, text
from hegui.governance.errors import IllegalTransition, RecordNotFound
from hegui.governance.models import Incident
from hegui.settings import INCIDENT_KINDS

KINDS = INCIDENT_KINDS
SEVERITIES = ("low", "medium", "high", "critical")
STATES = ("detected", "classified", "contained", "reported", "closed")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "detected": ("classified",),
    "classified": ("contained", "reported"),
    "contained": ("reported", "closed"),
    "reported": ("contained", "closed"),
    "closed": (),
}
STAMP = {"classified": "classified_at", "contained": "contained_at", "reported": "reported_at",
         "closed": "closed_at"}


def report_due(kind: str, detected_at: dt.datetime, report_hours: Mapping[str, int]) -> dt.datetime | None:
    hours = int(report_hours.get(kind, 0) or 0)
    return aware(detected_at) + dt.timedelta(hours=hours) if hours > 0 else None  # type: ignore[operator]


def open_incident(s: Session, *, actor: str, kind: str, severity: str, summary: str,
                  refs: Sequence[str] = (), detected_at: str | dt.datetime | None = None,
                  report_hours: Mapping[str, int]) -> Incident:
    """Register an incident (state ``detected``) with its report deadline; audited."""
    choice(kind, KINDS, "kind 类型")
    choice(severity, SEVERITIES, "severity 级别")
    at = parse_time(detected_at, "detected_at 发现时间") or now()
    if at > now() + dt.timedelta(minutes=5):
        raise ValidationFailed(message_en="detected_at is in the future", message_zh="发现时间晚于当前时间")
    row = Incident(kind=kind, severity=severity, summary=text(summary, "summary 摘要"),
                   refs=items(refs, "refs 关联记录"), detected_at=at, state="detected",
                   report_due_at=report_due(kind, at, report_hours), opened_by=actor)
    s.add(row)
    s.flush()
    log(s, actor, "incident.detected", f"incident:{row.id}",
        {"kind": kind, "severity": severity, "refs": row.refs,
         "report_due_at": row.report_due_at.isoformat() if row.report_due_at else None})
    return row


def get(s: Session, incident_id: str) -> Incident:
    row = s.get(Incident, incident_id) if incident_id else None
    if row is None:
        raise RecordNotFound(what_zh="事件", what_en="incident", id=incident_id[:40])
    return row


def allowed(row: Incident) -> tuple[str, ...]:
    nxt = TRANSITIONS[row.state]
    if row.reported_at is not None:
        nxt = tuple(t for t in nxt if t != "reported")  # reported once (reported → contained → closed)
    if row.state == "contained" and row.report_due_at is not None and row.reported_at is None:
        nxt = tuple(t for t in nxt if t != "closed")  # a reportable incident closes only once reported
    return nxt


def advance(s: Session, incident_id: str, target: str, *, actor: str, note: str = "",
            refs: Sequence[str] = (), at: str | dt.datetime | None = None) -> Incident:
    """Move an incident to ``target`` if the state machine allows it; stamp and audit it."""
    row = get(s, incident_id)
    choice(target, STATES, "state 状态")
    ok = allowed(row)
    if target not in ok:
        raise IllegalTransition(id=row.id, state=row.state, target=target, allowed=", ".join(ok) or "—")
    when = parse_time(at, "at 时间") or now()
    if when < aware(row.detected_at):  # type: ignore[operator]
        raise ValidationFailed(message_en="the time is before the incident was detected",
                               message_zh="时间早于事件发现时间")
    setattr(row, STAMP[target], when)
    previous, row.state = row.state, target
    if refs:
        row.refs = items([*row.refs, *refs], "refs 关联记录")
    log(s, actor, f"incident.{target}", f"incident:{row.id}",
        {"from": previous, "to": target, "at": when.isoformat(), "note": text(note, "note", required=False),
         "refs": list(refs)})
    return row


def listing(s: Session, *, open_only: bool = False) -> list[Incident]:
    q = select(Incident).order_by(Incident.detected_at.desc())
    if open_only:
        q = q.where(Incident.state != "closed")
    return list(s.scalars(q))


def report_overdue(row: Incident, at: dt.datetime | None = None) -> bool:
    """Reportable, not yet reported, and past its deadline."""
    due = aware(row.report_due_at)
    return due is not None and row.reported_at is None and (at or now()) > due
