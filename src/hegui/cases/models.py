"""Tables of the cases duty: complaints and PI requests, their events and evidence, corrections,
takedowns, the regeneration blocklist, sanctions and escalation counters.

End users are referred to by ``end_users.id``; when a user is erased (PIPL Art 47) every such
reference is replaced by a keyed hash (``erased-<hmac>``) so the records stay countable but no
longer identify anyone.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from hegui.storage.base import Base, new_id, utcnow


class Case(Base):
    """A complaint, report or personal-information request (Interim Measures Art 15)."""

    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tracking: Mapped[str] = mapped_column(String(24), unique=True)
    type: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="received", index=True)
    channel: Mapped[str] = mapped_column(String(8))  # web | api | console
    lang: Mapped[str] = mapped_column(String(4), default="zh")
    text: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(200), default=None)
    subject_user: Mapped[str | None] = mapped_column(String(80), index=True, default=None)  # end_users.id
    subject_app: Mapped[str | None] = mapped_column(String(32), default=None)
    content_id: Mapped[str | None] = mapped_column(String(48), default=None)
    assignee: Mapped[str | None] = mapped_column(String(80), default=None)
    received_on: Mapped[dt.date] = mapped_column(Date)
    # None only for cases received before provisional deadlines existed (see hegui.cases.deadlines)
    due_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    resolution: Mapped[str | None] = mapped_column(Text, default=None)
    feedback: Mapped[str | None] = mapped_column(Text, default=None)
    result: Mapped[dict] = mapped_column(JSON, default=dict)  # what the system executed
    alerted: Mapped[str | None] = mapped_column(String(16), default=None)  # last webhook alert kind
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    # The deadline's basis is stored in ``result["deadline"]`` (no schema change needed):
    # {"provisional": true, "assumed_years": [2027], "rule": "weekends_only", "calendar": "<version>"}
    @property
    def deadline_info(self) -> dict:
        info = (self.result or {}).get("deadline")
        return info if isinstance(info, dict) else {}

    @property
    def due_provisional(self) -> bool:
        """The deadline was counted on the weekend-only rule for a year the calendar lacks."""
        return bool(self.deadline_info.get("provisional"))

    @property
    def provisional_years(self) -> list[int]:
        return [int(y) for y in self.deadline_info.get("assumed_years") or []]


class CaseEvent(Base):
    """Notes and transitions of a case (each also in the hash-chained audit log)."""

    __tablename__ = "case_events"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))  # transition | note | assign | action
    src: Mapped[str | None] = mapped_column(String(16), default=None)
    dst: Mapped[str | None] = mapped_column(String(16), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CaseEvidence(Base):
    __tablename__ = "case_evidence"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_as: Mapped[str] = mapped_column(String(80))


class PiChange(Base):
    """History of corrections and supplements (PIPL Art 46); only masked values are kept."""

    __tablename__ = "pi_changes"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(80), index=True)
    case_id: Mapped[str | None] = mapped_column(String(32), default=None)
    field: Mapped[str] = mapped_column(String(32))
    old_masked: Mapped[str | None] = mapped_column(String(40), default=None)
    new_masked: Mapped[str | None] = mapped_column(String(40), default=None)
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Takedown(Base):
    """Illegal content taken down by content ID (Interim Measures Art 14; DS Art 11)."""

    __tablename__ = "takedowns"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    content_id: Mapped[str] = mapped_column(String(48), index=True)
    record_id: Mapped[str | None] = mapped_column(String(32), default=None)
    case_id: Mapped[str | None] = mapped_column(String(32), default=None)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    refutation_zh: Mapped[str | None] = mapped_column(Text, default=None)  # 辟谣 notice (DS Art 11)
    refutation_en: Mapped[str | None] = mapped_column(Text, default=None)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BlocklistEntry(Base):
    """Regeneration blocklist: fingerprints only, never the content itself."""

    __tablename__ = "regen_blocklist"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(8))  # text | image
    exact_hash: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    # no longer written or read (near-duplicates are judged on distinctive shingles); kept until
    # a migration drops them
    simhash: Mapped[str | None] = mapped_column(String(16), default=None)
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # 64-bit hashes of the normalised text's shingles, split into distinctive and boilerplate
    # (format: hegui.cases.textprint.pack; entries from before the split: all distinctive)
    shingles: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    phash: Mapped[str | None] = mapped_column(String(64), default=None)
    takedown_id: Mapped[str | None] = mapped_column(String(32), default=None)
    source: Mapped[str] = mapped_column(String(40))  # takedown | review
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Sanction(Base):
    """Warn, restrict, suspend or terminate an end user, with reason (Interim Measures Art 14)."""

    __tablename__ = "sanctions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # warn | restrict | suspend | terminate
    reason: Mapped[str] = mapped_column(Text)
    functions: Mapped[list] = mapped_column(JSON, default=list)  # restricted endpoints
    actor: Mapped[str] = mapped_column(String(120))
    case_id: Mapped[str | None] = mapped_column(String(32), default=None)
    starts_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    lifted_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class ViolationCounter(Base):
    """Refused inputs per user: current streak and today's count (escalation rule)."""

    __tablename__ = "violation_counters"
    user_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    streak: Mapped[int] = mapped_column(Integer, default=0)
    day: Mapped[dt.date | None] = mapped_column(Date, default=None)
    day_count: Mapped[int] = mapped_column(Integer, default=0)


def _install_sealing() -> None:
    from hegui.cases.sealing import install

    install(Case)


_install_sealing()
