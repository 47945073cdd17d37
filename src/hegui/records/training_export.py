"""Export of stored prompts/outputs for model training, honouring every opt-out (TC260-003 7c).

A record is exported only when its content was marked training-allowed at write time *and* the
user has not opted out, withdrawn consent or been deleted since.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from hegui.fileio import atomic_open
from hegui.records.usage import RecordWriter
from hegui.storage.models import EndUser, UsageContent, UsageRecord


def export_for_training(writer: RecordWriter, out: Path) -> int:
    n = 0
    with writer.db.session() as s, atomic_open(out, text=True) as f:
        q = (select(UsageContent, UsageRecord.content_id, UsageRecord.model)
             .join(UsageRecord, UsageRecord.id == UsageContent.record_id)
             .join(EndUser, EndUser.id == UsageContent.user_id)
             .where(UsageContent.training_allowed.is_(True), EndUser.training_opt_out.is_(False),
                    EndUser.processing_stopped.is_(False), EndUser.status == "verified",
                    UsageRecord.status == "ok", UsageRecord.taken_down_at.is_(None)))
        for content, content_id, model in s.execute(q).yield_per(500):
            prompt, output = writer.read_content(content)
            f.write(json.dumps({"content_id": content_id, "model": model, "prompt": prompt, "output": output},
                               ensure_ascii=False) + "\n")
            n += 1
    return n
