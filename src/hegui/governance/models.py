"""Management-record tables (Deep Synthesis Provisions Arts 7, 15; Interim Measures Art 14).

Each is a register an inspector asks to see: incidents and their emergency response, drills,
ethics and security reviews, regulator orders, and the periodic algorithm review. Free lists
(references, participants, tasks, evidence) are JSON; every change is also in the audit log.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hegui.storage.base import Base, new_id, utcnow


class Incident(Base):
    """An incident and its emergency response (DS Art 7; IM Art 14: report to the authority)."""

    __tablename__ = "gov_incidents"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(32))  # see incidents.KINDS
    severity: Mapped[str] = mapped_column(String(16))  # low | medium | high | critical
    summary: Mapped[str] = mapped_column(Text)
    refs: Mapped[list] = mapped_column(JSON, default=list)  # content ids, case ids, takedowns
    state: Mapped[str] = mapped_column(String(16), default="detected", index=True)
    detected_at: Mapped[dt.datetime] = mapped_column()
    classified_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    contained_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    reported_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    report_due_at: Mapped[dt.datetime | None] = mapped_column(default=None)  # None: no report rule
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    opened_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Drill(Base):
    """An emergency drill (DS Art 7 emergency response system)."""

    __tablename__ = "gov_drills"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    held_on: Mapped[dt.date] = mapped_column(Date, index=True)
    scenario: Mapped[str] = mapped_column(Text)
    participants: Mapped[list] = mapped_column(JSON, default=list)
    findings: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Review(Base):
    """An S&T ethics or security review of a new feature or model (DS Art 7; IM Art 17)."""

    __tablename__ = "gov_reviews"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))  # ethics | security
    subject: Mapped[str] = mapped_column(Text)
    reviewers: Mapped[list] = mapped_column(JSON, default=list)
    reviewed_on: Mapped[dt.date] = mapped_column(Date, index=True)
    conclusion: Mapped[str] = mapped_column(String(24))  # approve | approve_with_conditions | reject
    conditions: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Order(Base):
    """A regulator's rectification order; ``suspension`` = service suspension ordered."""

    __tablename__ = "gov_orders"
    __table_args__ = (Index("ix_gov_orders_suspension_open", "suspension", "closed_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    received_on: Mapped[dt.date] = mapped_column(Date)
    authority: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(120))
    content: Mapped[str] = mapped_column(Text)
    deadline: Mapped[dt.date | None] = mapped_column(Date, default=None)  # rectification deadline
    tasks: Mapped[list] = mapped_column(JSON, default=list)  # [{"text", "done", "done_at", "by"}]
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    suspension: Mapped[bool] = mapped_column(Boolean, default=False)
    suspension_lifted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AlgorithmReview(Base):
    """A periodic review of the algorithm mechanism (DS Art 15), with the versions in force and
    the difference from the previous review."""

    __tablename__ = "gov_algorithm_reviews"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    reviewer: Mapped[str] = mapped_column(String(120))
    reviewed_at: Mapped[dt.datetime] = mapped_column(index=True)
    scope: Mapped[str] = mapped_column(Text)
    versions: Mapped[dict] = mapped_column(JSON, default=dict)  # flat "key" -> "value"
    diff: Mapped[dict] = mapped_column(JSON, default=dict)  # {"previous", "added", "removed", "changed"}
    conclusion: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
