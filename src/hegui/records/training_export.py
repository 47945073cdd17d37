"""Export of stored prompts/outputs for model training, honouring every opt-out (TC260-003 7c).

A record is exported only when its content was marked training-allowed at write time *and* the
user has not opted out, withdrawn consent or been deleted since. Personal information found in
the text (phone, ID and bank-card numbers, e-mail, names, addresses … — the moderation PI
recognizers) is masked before it leaves the database (PIPL Arts 6, 51: minimum necessary), and
the file is written 0600.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from hegui.fileio import atomic_open
from hegui.moderation.recognizers import RecognizerRegistry
from hegui.records.usage import RecordWriter
from hegui.storage.models import EndUser, UsageContent, UsageRecord


def mask_pi(registry: RecognizerRegistry, text: str) -> str:
    """``text`` with every recognised piece of personal information masked (``138****5678``)."""
    return registry.mask(text, registry.analyze(text)) if text else text


def export_for_training(writer: RecordWriter, out: Path, *, registry: RecognizerRegistry | None = None) -> int:
    registry = registry or RecognizerRegistry.default()
    n = 0
    with writer.db.session() as s, atomic_open(out, text=True, mode=0o600) as f:
        q = (select(UsageContent, UsageRecord.content_id, UsageRecord.model)
             .join(UsageRecord, UsageRecord.id == UsageContent.record_id)
             .join(EndUser, EndUser.id == UsageContent.user_id)
             .where(UsageContent.training_allowed.is_(True), EndUser.training_opt_out.is_(False),
                    EndUser.processing_stopped.is_(False), EndUser.status == "verified",
                    UsageRecord.status == "ok", UsageRecord.taken_down_at.is_(None)))
        for content, content_id, model in s.execute(q).yield_per(500):
            prompt, output = writer.read_content(content)
            f.write(json.dumps({"content_id": content_id, "model": model, "prompt": mask_pi(registry, prompt),
                                "output": mask_pi(registry, output)}, ensure_ascii=False) + "\n")
            n += 1
    return n
