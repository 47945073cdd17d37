"""Regulator orders: rectification with a deadline, tasks, evidence, closure; a service
suspension where ordered (CSL; Interim Measures Arts 19, 21; DS Art 22: 责令暂停). While a
suspension is in force (:func:`suspension_in_force`) the gateway serves no generation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.errors import ValidationFailed
from hegui.governance.common import items, log, now, parse_date, text
from hegui.governance.errors import RecordNotFound
from hegui.governance.models import Order


def add(s: Session, *, actor: str, authority: str, reference: str, content: str,
        received_on: str | dt.date | None = None, deadline: str | dt.date | None = None,
        tasks: Sequence[str] = (), evidence: Sequence[str] = (), suspension: bool = False) -> Order:
    received = parse_date(received_on, "received 收到日期") or now().date()
    due = parse_date(deadline, "deadline 整改期限")
    if due is not None and due < received:
        raise ValidationFailed(message_en="the rectification deadline is before the order was received",
                               message_zh="整改期限早于收到命令的日期")
    row = Order(received_on=received, authority=text(authority, "authority 机关", limit=200),
                reference=text(reference, "reference 文号", limit=120), content=text(content, "content 内容"),
                deadline=due, tasks=[{"text": t, "done": False, "done_at": None, "by": None}
                                     for t in items(tasks, "tasks 任务")],
                evidence=items(evidence, "evidence 证据"), suspension=bool(suspension), recorded_by=actor)
    s.add(row)
    s.flush()
    log(s, actor, "order.received", f"order:{row.id}",
        {"authority": row.authority, "reference": row.reference, "deadline": due.isoformat() if due else None,
         "tasks": len(row.tasks), "suspension": row.suspension})
    return row


def get(s: Session, order_id: str) -> Order:
    row = s.get(Order, order_id) if order_id else None
    if row is None:
        raise RecordNotFound(what_zh="监管命令", what_en="regulator order", id=order_id[:40])
    return row


def task_done(s: Session, order_id: str, number: int, *, actor: str, evidence: Sequence[str] = ()) -> Order:
    """Mark task ``number`` (1-based) done, adding its evidence; audited."""
    row = get(s, order_id)
    _open(row)
    if not 1 <= number <= len(row.tasks):
        raise ValidationFailed(message_en=f"order {row.id} has no task {number} (1–{len(row.tasks)})",
                               message_zh=f"命令 {row.id} 没有第 {number} 项任务（1–{len(row.tasks)}）")
    tasks = [dict(t) for t in row.tasks]
    tasks[number - 1].update(done=True, done_at=now().isoformat(), by=actor)
    row.tasks = tasks
    if evidence:
        row.evidence = items([*row.evidence, *evidence], "evidence 证据")
    log(s, actor, "order.task_done", f"order:{row.id}", {"task": number, "evidence": list(evidence)})
    return row


def close(s: Session, order_id: str, *, actor: str, evidence: Sequence[str] = ()) -> Order:
    """Close an order once every task is done and there is evidence of rectification; closing
    lifts a suspension it ordered."""
    row = get(s, order_id)
    _open(row)
    pending = [i + 1 for i, t in enumerate(row.tasks) if not t.get("done")]
    if pending:
        raise ValidationFailed(message_en=f"order {row.id}: tasks {pending} are not done",
                               message_zh=f"命令 {row.id}：第 {pending} 项任务未完成")
    row.evidence = items([*row.evidence, *evidence], "evidence 证据")
    if not row.evidence:
        raise ValidationFailed(message_en="closing an order needs evidence of the rectification (--evidence)",
                               message_zh="关闭命令须提供整改证据（--evidence）")
    row.closed_at = now()
    if row.suspension and row.suspension_lifted_at is None:
        row.suspension_lifted_at = row.closed_at
    log(s, actor, "order.closed", f"order:{row.id}", {"evidence": row.evidence, "suspension": row.suspension})
    return row


def lift_suspension(s: Session, order_id: str, *, actor: str, note: str) -> Order:
    """Record that the authority lifted the suspension (the order may stay open for rectification)."""
    row = get(s, order_id)
    if not row.suspension or row.suspension_lifted_at is not None:
        raise ValidationFailed(message_en=f"order {row.id} has no suspension in force",
                               message_zh=f"命令 {row.id} 没有生效中的暂停服务要求")
    row.suspension_lifted_at = now()
    log(s, actor, "order.suspension_lifted", f"order:{row.id}", {"note": text(note, "note 说明")})
    return row


def _open(row: Order) -> None:
    if row.closed_at is not None:
        raise ValidationFailed(message_en=f"order {row.id} is closed", message_zh=f"命令 {row.id} 已关闭")


def listing(s: Session) -> list[Order]:
    return list(s.scalars(select(Order).order_by(Order.received_on.desc(), Order.created_at.desc())))


def overdue(row: Order, today: dt.date | None = None) -> bool:
    """Open and past its rectification deadline."""
    return row.closed_at is None and row.deadline is not None and (today or now().date()) > row.deadline


def overdue_orders(s: Session, today: dt.date | None = None) -> list[Order]:
    q = select(Order).where(Order.closed_at.is_(None), Order.deadline.is_not(None))
    return [o for o in s.scalars(q) if overdue(o, today)]


def suspension_in_force(s: Session) -> Order | None:
    """The order whose service suspension is in force (ordered, not lifted, order open), if any."""
    q = (select(Order).where(Order.suspension.is_(True), Order.closed_at.is_(None),
                             Order.suspension_lifted_at.is_(None)).order_by(Order.received_on).limit(1))
    return s.scalars(q).first()
