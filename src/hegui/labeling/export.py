"""Unlabelled export on request (Labeling Measures Art 9).

A provider may hand over content without the *explicit* label only when the user asks for it and
the user agreement fixes the user's labeling duty and liability; it must log the request with the
recipient's information and keep that log for at least six months. The implicit (metadata) label
and the watermark stay — hegui never removes them (Art 10).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from hegui.errors import ConfigError
from hegui.labeling.explicit.errors import ExportRefused
from hegui.labeling.models import UnlabelledExport
from hegui.storage.base import utcnow

#: Art 9: the log is kept for no less than six months
MIN_RETENTION_MONTHS = 6
_FIELD_ZH = {"user_id": "用户标识", "content_id": "内容标识", "recipient": "接收方信息"}


@dataclass(frozen=True, slots=True)
class ExportGrant:
    id: str
    user_id: str
    content_id: str
    recipient: str
    granted_at: dt.datetime
    retain_until: dt.datetime
    implicit_label_kept: bool = True


def add_months(when: dt.datetime, months: int) -> dt.datetime:
    """Calendar months (31 Aug + 6 months = 28/29 Feb), so "six months" is never short."""
    month = when.month - 1 + months
    year, month = when.year + month // 12, month % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def request_unlabelled_export(session: Session, *, user_id: str, content_id: str, recipient: str,
                              agreement_covers: bool, agreement_version: str | None = None,
                              retention_months: int = MIN_RETENTION_MONTHS,
                              now: dt.datetime | None = None) -> ExportGrant:
    """Grant and log an export without the explicit label, or raise :class:`ExportRefused`.

    The row is added and flushed in ``session``; the caller commits.
    """
    if retention_months < MIN_RETENTION_MONTHS:
        raise ConfigError(detail=f"unlabelled-export log retention {retention_months} months is below the "
                          f"{MIN_RETENTION_MONTHS} months of Labeling Measures Art 9")
    if not agreement_covers:
        raise ExportRefused(message_zh="用户协议未约定用户的标识义务和使用责任（《标识办法》第九条）",
                            message_en="the user agreement does not set out the user's labeling duty and "
                                       "liability (Labeling Measures Art 9)")
    for name, value in (("user_id", user_id), ("content_id", content_id), ("recipient", recipient)):
        if not value or not value.strip():
            raise ExportRefused(message_zh=f"缺少{_FIELD_ZH[name]}，无法按第九条留存日志",
                                message_en=f"{name} is required for the Art 9 log")
    granted = now or utcnow()
    row = UnlabelledExport(user_id=user_id, content_id=content_id, recipient=recipient.strip(),
                           agreement_version=agreement_version, agreement_covers=True, implicit_label_kept=True,
                           granted_at=granted, retain_until=add_months(granted, retention_months))
    session.add(row)
    session.flush()
    return ExportGrant(id=row.id, user_id=user_id, content_id=content_id, recipient=row.recipient,
                       granted_at=granted, retain_until=row.retain_until)


def purge_expired_exports(session: Session, *, now: dt.datetime | None = None) -> int:
    """Delete log rows whose retention has ended; rows still inside ``retain_until`` are kept."""
    result = session.execute(delete(UnlabelledExport).where(UnlabelledExport.retain_until < (now or utcnow())))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
