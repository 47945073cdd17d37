"""Annotation-QA tables (Interim Measures Art 8; GB/T 45674-2025; docs/annotation.md).

Rules documents (versioned, hashed, approved), annotators (roles, training, qualification tests;
names minimised to a code and initials — PIPL Art 6), batches with role assignments, the
double-annotation agreement, the acceptance-sampling inspection and the 8.1 coverage check.
Every change is also in the audit log.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hegui.storage.base import Base, new_id, utcnow


class RulesDocument(Base):
    """A versioned annotation rules document (functional or safety; GB/T 45674 rules)."""

    __tablename__ = "ann_rules"
    __table_args__ = (Index("uq_ann_rules_kind_version", "kind", "version", unique=True),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))  # functional | safety
    version: Mapped[str] = mapped_column(String(40))
    effective_on: Mapped[dt.date] = mapped_column(Date)
    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)  # the document as given
    text: Mapped[str] = mapped_column(Text)  # its text, for the checks
    findings: Mapped[dict] = mapped_column(JSON, default=dict)  # rules.check_text(...).to_dict()
    approved_by: Mapped[str | None] = mapped_column(String(120), default=None)
    approved_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Annotator(Base):
    """An annotator: an operator-given code and initials only; roles among executor, reviewer,
    arbitrator, supervisor (GB/T 45674); deactivated staff cannot be assigned."""

    __tablename__ = "ann_annotators"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    initials: Mapped[str] = mapped_column(String(16))
    roles: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    deactivated_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Training(Base):
    __tablename__ = "ann_trainings"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    annotator_id: Mapped[str] = mapped_column(ForeignKey("ann_annotators.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[dt.date] = mapped_column(Date)
    course: Mapped[str] = mapped_column(String(200))
    hours: Mapped[float] = mapped_column(Float)
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class QualificationTest(Base):
    __tablename__ = "ann_tests"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    annotator_id: Mapped[str] = mapped_column(ForeignKey("ann_annotators.id", ondelete="CASCADE"), index=True)
    taken_on: Mapped[dt.date] = mapped_column(Date)
    score: Mapped[float] = mapped_column(Float)  # 0..1
    pass_mark: Mapped[float] = mapped_column(Float)  # the mark in force when taken
    passed: Mapped[bool] = mapped_column(Boolean)
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Batch(Base):
    """A batch of annotation work; ``state`` open → accepted | rejected | discarded."""

    __tablename__ = "ann_batches"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # functional | safety
    item_count: Mapped[int] = mapped_column(Integer)
    safety_items: Mapped[int] = mapped_column(Integer, default=0)
    items_ref: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    plan: Mapped[dict] = mapped_column(JSON, default=dict)  # sampling.Plan.to_dict() once sampled
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Assignment(Base):
    __tablename__ = "ann_assignments"
    __table_args__ = (Index("uq_ann_assignments", "batch_id", "annotator_id", "role", unique=True),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    batch_id: Mapped[str] = mapped_column(ForeignKey("ann_batches.id", ondelete="CASCADE"), index=True)
    annotator_id: Mapped[str] = mapped_column(ForeignKey("ann_annotators.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Agreement(Base):
    """Double annotation of a sample: Cohen's κ, percent agreement and the confusion summary."""

    __tablename__ = "ann_agreements"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    batch_id: Mapped[str] = mapped_column(ForeignKey("ann_batches.id", ondelete="CASCADE"), index=True)
    items: Mapped[int] = mapped_column(Integer)
    kappa: Mapped[float | None] = mapped_column(Float, default=None)  # None: undefined (one label only)
    percent: Mapped[float] = mapped_column(Float)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)  # files, hashes, confusion, unmatched
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Inspection(Base):
    """Acceptance inspection of a batch's sample (ISO 2859-1 plan) plus GB/T 45674 8.3 c."""

    __tablename__ = "ann_inspections"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    batch_id: Mapped[str] = mapped_column(ForeignKey("ann_batches.id", ondelete="CASCADE"), index=True)
    plan: Mapped[dict] = mapped_column(JSON, default=dict)
    defects: Mapped[int] = mapped_column(Integer)
    aql_decision: Mapped[str] = mapped_column(String(8))  # accept | reject
    safety_failed: Mapped[int | None] = mapped_column(Integer, default=None)
    discard: Mapped[bool] = mapped_column(Boolean, default=False)
    decision: Mapped[str] = mapped_column(String(16))  # accepted | rejected | discarded
    inspected_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Coverage(Base):
    """GB/T 45674 8.1 a/b: safety annotations per Annex A risk and their share of the set."""

    __tablename__ = "ann_coverage"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    source: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    annotated_total: Mapped[int] = mapped_column(Integer)
    safety_items: Mapped[int] = mapped_column(Integer)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)  # risk id -> items
    result: Mapped[dict] = mapped_column(JSON, default=dict)  # coverage.CoverageResult.to_dict()
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
