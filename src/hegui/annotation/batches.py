"""Annotation batches: assignment with separation of duties (GB/T 45674 7.3 e), the double-
annotation agreement, and the acceptance inspection (ISO 2859-1 plan; GB/T 45674 8.3 c)."""

from __future__ import annotations

import random
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.annotation import agreement as agree
from hegui.annotation import annotators, sampling
from hegui.annotation.errors import AnnotationNotFound, NotAssignable, SeparationOfDuties
from hegui.annotation.models import Agreement, Annotator, Assignment, Batch, Inspection
from hegui.errors import ValidationFailed
from hegui.governance.common import choice, log, text

KINDS = ("functional", "safety")
STATES = ("open", "accepted", "rejected", "discarded")
# Roles that may not be held by one person on one batch (7.3 e; the arbitrator settles their disputes).
EXCLUSIVE = {"executor": ("reviewer", "arbitrator"), "reviewer": ("executor", "arbitrator"),
             "arbitrator": ("executor", "reviewer"), "supervisor": ()}
MAX_ITEMS = 100_000_000


def add(s: Session, *, actor: str, name: str, kind: str, item_count: int, items_ref: str = "",
        safety_items: int | None = None) -> Batch:
    choice(kind, KINDS, "kind 类型")
    name = text(name, "name 名称", limit=120)
    if not 1 <= int(item_count) <= MAX_ITEMS:
        raise ValidationFailed(message_en=f"item count: 1 to {MAX_ITEMS}", message_zh=f"条目数：1 至 {MAX_ITEMS}")
    safety = (int(item_count) if kind == "safety" else 0) if safety_items is None else int(safety_items)
    if not 0 <= safety <= int(item_count):
        raise ValidationFailed(message_en="safety items: between 0 and the item count",
                               message_zh="安全标注条目数：须在 0 与条目总数之间")
    if s.scalars(select(Batch).where(Batch.name == name)).first():
        raise ValidationFailed(message_en=f"batch {name} already exists", message_zh=f"批次 {name} 已存在")
    row = Batch(name=name, kind=kind, item_count=int(item_count), safety_items=safety,
                items_ref=text(items_ref, "items file 条目文件", required=False, limit=500), recorded_by=actor)
    s.add(row)
    s.flush()
    log(s, actor, "annotation.batch_added", f"ann_batch:{name}", {"kind": kind, "items": row.item_count})
    return row


def get(s: Session, name: str) -> Batch:
    row = s.scalars(select(Batch).where(Batch.name == name)).first()
    if row is None:
        raise AnnotationNotFound(what_zh="批次", what_en="batch", id=name)
    return row


def listing(s: Session) -> list[Batch]:
    return list(s.scalars(select(Batch).order_by(Batch.created_at.desc())))


def assignments(s: Session, batch: Batch) -> list[tuple[Assignment, Annotator]]:
    q = (select(Assignment, Annotator).join(Annotator, Assignment.annotator_id == Annotator.id)
         .where(Assignment.batch_id == batch.id).order_by(Assignment.role, Annotator.code))
    return [(a, b) for a, b in s.execute(q)]


def assign(s: Session, batch_name: str, code: str, role: str, *, actor: str, reexam_months: int) -> Assignment:
    """Assign an annotator: active, holding ``role``, qualified (executor / reviewer / arbitrator),
    and never both annotator and reviewer of the batch (GB/T 45674 7.3 e)."""
    choice(role, annotators.ROLES, "role 角色")
    batch = get(s, batch_name)
    person = annotators.get(s, code)
    if not person.active:
        raise NotAssignable(who=code, reason_zh="已停用（离岗人员权限已撤销）", reason_en="deactivated (departed staff)")
    if role not in person.roles:
        raise NotAssignable(who=code, reason_zh=f"未被授予“{annotators.ROLE_ZH[role]}”角色",
                            reason_en=f"does not hold the role {role}")
    if role != "supervisor":
        q = annotators.qualification(s, person, reexam_months)
        if not q.qualified:
            raise NotAssignable(who=code, reason_zh=f"考核状态为 {q.state}（须通过考核且在复考期内）",
                                reason_en=f"qualification is {q.state} (a passed, unexpired test is required)")
    for held, other in assignments(s, batch):
        if other.id != person.id:
            continue
        if held.role == role:
            raise ValidationFailed(message_en=f"{code} is already {role} of batch {batch_name}",
                                   message_zh=f"{code} 已是批次 {batch_name} 的{annotators.ROLE_ZH[role]}")
        if held.role in EXCLUSIVE[role]:
            raise SeparationOfDuties(who=code, batch=batch_name, held_zh=annotators.ROLE_ZH[held.role],
                                     held_en=held.role, role_zh=annotators.ROLE_ZH[role], role_en=role)
    row = Assignment(batch_id=batch.id, annotator_id=person.id, role=role, recorded_by=actor)
    s.add(row)
    s.flush()
    log(s, actor, "annotation.assigned", f"ann_batch:{batch_name}", {"annotator": code, "role": role})
    return row


def sample(s: Session, batch_name: str, *, actor: str, aql: float | str) -> tuple[sampling.Plan, list[int]]:
    """Fix the batch's sampling plan at ``aql`` and draw the sample: item positions 1..N, seeded
    by the batch id so the draw is reproducible."""
    batch = get(s, batch_name)
    _open(batch)
    p = sampling.plan(batch.item_count, aql)
    batch.plan = p.to_dict()
    picks = sorted(random.Random(batch.id).sample(range(1, batch.item_count + 1), p.sample_size))
    log(s, actor, "annotation.sampled", f"ann_batch:{batch_name}", p.to_dict())
    return p, picks


def _open(batch: Batch) -> None:
    if batch.state != "open":
        zh = {"accepted": "验收", "rejected": "拒收", "discarded": "废弃"}[batch.state]
        raise ValidationFailed(message_en=f"batch {batch.name} is already {batch.state}",
                               message_zh=f"批次 {batch.name} 已{zh}")


def record_agreement(s: Session, batch_name: str, file_a: Path, file_b: Path, *, actor: str) -> Agreement:
    batch = get(s, batch_name)
    result = agree.compare(agree.read_labels(file_a), agree.read_labels(file_b))
    row = Agreement(batch_id=batch.id, items=result.items, kappa=result.kappa, percent=result.percent,
                    detail={"files": [Path(file_a).name, Path(file_b).name],
                            "sha256": [agree.file_hash(file_a), agree.file_hash(file_b)],
                            "confusion": result.confusion, "only_a": result.only_a, "only_b": result.only_b,
                            "labels": result.labels[:200]}, recorded_by=actor)
    s.add(row)
    s.flush()
    log(s, actor, "annotation.agreement", f"ann_batch:{batch_name}",
        {"items": row.items, "kappa": row.kappa, "percent": row.percent})
    return row


def inspect(s: Session, batch_name: str, *, actor: str, inspected_by: str, defects: int,
            safety_failed: int | None = None, aql: float | str | None = None) -> Inspection:
    """Record the defects found in the sample → accept / reject at the plan's Ac; for batches with
    safety items, failed safety checks > 5 % → discard (8.3 c). Both decisions are kept."""
    batch = get(s, batch_name)
    _open(batch)
    who = text(inspected_by, "inspected by 检验人", limit=120)
    if who in {p.code for a, p in assignments(s, batch) if a.role == "executor"}:
        raise SeparationOfDuties(who=who, batch=batch_name, held_zh="执行（标注）人员", held_en="executor",
                                 role_zh="验收检验人", role_en="inspector")
    if not batch.plan or (aql is not None and sampling._aql_key(aql) != batch.plan["aql"]):
        if aql is None:
            raise ValidationFailed(message_en="no sampling plan yet: run 'batch sample' or give the AQL",
                                   message_zh="尚无抽样方案：请先执行 batch sample 或给出 AQL")
        batch.plan = sampling.plan(batch.item_count, aql).to_dict()
    p = sampling.Plan(**batch.plan)
    if not 0 <= int(defects) <= p.sample_size:
        raise ValidationFailed(message_en=f"defects: between 0 and the sample size {p.sample_size}",
                               message_zh=f"不合格数：须在 0 与样本量 {p.sample_size} 之间")
    if batch.safety_items and safety_failed is None:
        raise ValidationFailed(message_en="this batch has safety items: give the number of failed safety checks "
                                          "(GB/T 45674 8.3 c)",
                               message_zh="该批次含安全标注：须给出安全核验不合格条数（GB/T 45674 8.3 c）")
    drop = sampling.discard(batch.safety_items, int(safety_failed or 0)) if batch.safety_items else False
    aql_decision = p.decide(int(defects))
    decision = "discarded" if drop else ("accepted" if aql_decision == "accept" else "rejected")
    row = Inspection(batch_id=batch.id, plan=p.to_dict(), defects=int(defects), aql_decision=aql_decision,
                     safety_failed=None if safety_failed is None else int(safety_failed), discard=drop,
                     decision=decision, inspected_by=who)
    s.add(row)
    batch.state = decision
    s.flush()
    log(s, actor, "annotation.inspected", f"ann_batch:{batch_name}",
        {"defects": row.defects, "aql_decision": aql_decision, "discard": drop, "decision": decision})
    return row


def latest_agreement(s: Session, batch: Batch) -> Agreement | None:
    return s.scalars(select(Agreement).where(Agreement.batch_id == batch.id)
                     .order_by(Agreement.created_at.desc()).limit(1)).first()


def latest_inspection(s: Session, batch: Batch) -> Inspection | None:
    return s.scalars(select(Inspection).where(Inspection.batch_id == batch.id)
                     .order_by(Inspection.created_at.desc()).limit(1)).first()


def latest_accepted(s: Session) -> Batch | None:
    return s.scalars(select(Batch).where(Batch.state == "accepted").order_by(Batch.created_at.desc()).limit(1)).first()
