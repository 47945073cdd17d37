"""Tables of the labeling duty.

``unlabelled_exports``: the log that Labeling Measures Art 9 requires when content is delivered
without its explicit label at the user's request — who asked, for which content, the recipient,
and how long the row must be kept (≥ 6 months). ``inspection_decisions``: one row per decision of
the platform inspection service (Labeling Measures Art 6).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hegui.storage.base import Base, new_id, utcnow


class UnlabelledExport(Base):
    """One granted delivery without the explicit label (the implicit metadata label stays)."""

    __tablename__ = "unlabelled_exports"
    __table_args__ = (Index("ix_unlabelled_exports_retain_until", "retain_until"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(200), index=True)
    content_id: Mapped[str] = mapped_column(String(200), index=True)
    recipient: Mapped[str] = mapped_column(Text)  # recipient information (Art 9)
    agreement_version: Mapped[str | None] = mapped_column(String(64), default=None)
    agreement_covers: Mapped[bool] = mapped_column(Boolean)
    implicit_label_kept: Mapped[bool] = mapped_column(Boolean, default=True)
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    retain_until: Mapped[dt.datetime] = mapped_column()


class InspectionDecision(Base):
    """One decision of the platform inspection service on an upload (Labeling Measures Arts 6–7)."""

    __tablename__ = "inspection_decisions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    app_id: Mapped[str | None] = mapped_column(String(32), index=True, default=None)
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    media: Mapped[str] = mapped_column(String(16))  # text | image | audio | video | document | unknown
    size: Mapped[int] = mapped_column(default=0)
    declared: Mapped[str | None] = mapped_column(String(16), default=None)  # uploader's declaration
    result: Mapped[str] = mapped_column(String(16))  # confirmed | possible | suspected | none | error
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)  # what was found (no content)
    propagated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
