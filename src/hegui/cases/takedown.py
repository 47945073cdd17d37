"""Take down a generated item by content ID (Interim Measures Art 14: stop, remove, prevent
recurrence; DS Art 11: refute rumours). The usage record is marked (``/v1/outputs/…`` stops
serving it), its fingerprints go on the regeneration blocklist, and the action is audited — all in
one transaction."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.cases.blocklist import Blocklist
from hegui.cases.models import Takedown
from hegui.errors import NotFound, ValidationFailed
from hegui.identity.crypto import KeyRing
from hegui.records import audit
from hegui.records.usage import WITHHELD_BY
from hegui.storage.base import utcnow
from hegui.storage.models import ReviewItem, UsageContent, UsageRecord


def take_down(s: Session, keys: KeyRing, blocklist: Blocklist, outputs_dir: Path, content_id: str, reason: str,
              actor: str, *, case_id: str | None = None, refutation_zh: str | None = None,
              refutation_en: str | None = None) -> Takedown:
    content_id = content_id.strip()
    base = content_id.split(".")[0]
    if not reason.strip():
        raise ValidationFailed(message_en="a takedown needs a reason", message_zh="下架必须说明理由")
    rec = s.scalar(select(UsageRecord).where(UsageRecord.content_id == base))
    if rec is None:
        raise NotFound(message_en=f"no generated item with content ID {content_id}",
                       message_zh=f"没有内容标识为 {content_id} 的生成内容")
    if rec.taken_down_at is not None:
        raise ValidationFailed(message_en=f"{base} is already taken down", message_zh=f"{base} 已下架")
    rec.taken_down_at = utcnow()
    row = Takedown(content_id=base, record_id=rec.id, case_id=case_id, reason=reason.strip(), actor=actor,
                   refutation_zh=(refutation_zh or "").strip() or None, refutation_en=(refutation_en or "").strip() or None)
    s.add(row)
    s.flush()
    entries = []
    images = sorted(outputs_dir.glob(f"{base}*.png")) if outputs_dir.exists() else []
    for path in images:
        entries.append(blocklist.image_entry(path.read_bytes(), "takedown", row.id))
    text = "" if images else generated_text(s, keys, rec.id)
    if text.strip():
        entries.append(blocklist.text_entry(text, "takedown", row.id, session=s, exclude_record=rec.id))
    if not entries:
        raise ValidationFailed(message_en=f"{base}: neither output text nor image is stored any more, so it cannot "
                                          "be fingerprinted; nothing was taken down",
                               message_zh=f"{base}：已无存储的输出文本或图片，无法生成指纹，未执行下架")
    s.add_all(entries)
    audit.append(s, actor, "content.takedown", f"content:{base}",
                 {"takedown": row.id, "reason": row.reason, "case": case_id, "blocklist": len(entries),
                  "refutation": bool(row.refutation_zh or row.refutation_en)})
    return row


def generated_text(s: Session, keys: KeyRing, record_id: str) -> str:
    """What the model generated for a record: the text withheld when the answer was cut (kept as
    evidence, :data:`hegui.records.usage.WITHHELD_BY`), else the output as delivered."""
    kept = s.scalars(select(ReviewItem.text_enc).where(ReviewItem.record_id == record_id,
                                                       ReviewItem.decided_by == WITHHELD_BY)).first()
    if kept:
        return keys.unseal(kept, b"review").decode()
    content = s.get(UsageContent, record_id)
    if content is None or not content.output_enc:
        return ""
    return keys.unseal(content.output_enc, record_id.encode()).decode()


def refutation_notices(s: Session, limit: int = 50) -> list[Takedown]:
    """Published rumour-refutation notices (DS Art 11), newest first."""
    q = select(Takedown).where(Takedown.refutation_zh.is_not(None) | Takedown.refutation_en.is_not(None))
    return list(s.scalars(q.order_by(Takedown.at.desc()).limit(limit)))
