"""Shared helpers of the management records: time, dates, clean free lists, audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from hegui.errors import ValidationFailed
from hegui.records import audit
from hegui.storage.base import utcnow

MAX_TEXT = 20_000
MAX_ITEMS = 200
MAX_ITEM = 500


def aware(t: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive UTC datetimes; PostgreSQL aware ones."""
    if t is None:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def now() -> dt.datetime:
    return utcnow()


def parse_date(value: str | dt.date | None, field: str) -> dt.date | None:
    """``YYYY-MM-DD`` → date; a clear zh/en error otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationFailed(message_en=f"{field}: not a date (YYYY-MM-DD): {str(value)[:40]!r}",
                               message_zh=f"{field}：不是有效日期（YYYY-MM-DD）：{str(value)[:40]!r}") from None


def parse_time(value: str | dt.datetime | None, field: str) -> dt.datetime | None:
    """ISO date or date-time (UTC when no offset) → aware datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return aware(value)
    try:
        t = dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationFailed(message_en=f"{field}: not a date or time (ISO 8601): {str(value)[:40]!r}",
                               message_zh=f"{field}：不是有效的日期或时间（ISO 8601）：{str(value)[:40]!r}") from None
    return aware(t)


def text(value: str, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    v = (value or "").strip()
    if required and not v:
        raise ValidationFailed(message_en=f"{field} is required", message_zh=f"{field} 不能为空")
    if len(v) > limit:
        raise ValidationFailed(message_en=f"{field}: at most {limit} characters",
                               message_zh=f"{field}：至多 {limit} 个字符")
    return v


def items(values: Iterable[str] | None, field: str) -> list[str]:
    """A free list (references, participants, evidence): stripped, de-duplicated, bounded."""
    out: list[str] = []
    for v in values or ():
        v = str(v).strip()
        if not v or v in out:
            continue
        if len(v) > MAX_ITEM:
            raise ValidationFailed(message_en=f"{field}: an entry is longer than {MAX_ITEM} characters",
                                   message_zh=f"{field}：条目超过 {MAX_ITEM} 个字符")
        out.append(v)
    if len(out) > MAX_ITEMS:
        raise ValidationFailed(message_en=f"{field}: at most {MAX_ITEMS} entries", message_zh=f"{field}：至多 {MAX_ITEMS} 条")
    return out


def choice(value: str, allowed: Iterable[str], field: str) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValidationFailed(message_en=f"{field}: {str(value)[:40]!r} is not one of {', '.join(allowed)}",
                               message_zh=f"{field}：{str(value)[:40]!r} 不在可选值 {', '.join(allowed)} 之中")
    return value


def log(s: Session, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
    """Every change to a register is an audit entry (hash chain; DS Art 7)."""
    audit.append(s, actor, action, target, detail)
