"""Retention job: purge what has expired, and log the purge itself in the audit log.

Content (prompts, outputs) expires per ``retention.content_days``; usage and failure logs after
``retention.usage_log_days`` / ``failure_log_days`` (never below six months — CSL; enforced in
settings). Audit entries are kept (PIPL Art 56: ≥ 3 years); they are never purged by this job.
PI access/copy archives under ``var/pi-exports`` are removed ``pi_export_days`` (cases config)
after they were generated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select

from hegui.records import audit
from hegui.settings import RetentionSettings
from hegui.storage.base import utcnow
from hegui.storage.db import Database
from hegui.storage.models import OtpChallenge, UsageContent, UsageRecord


@dataclass
class PurgeReport:
    content: int
    usage_records: int
    failure_records: int
    otp_challenges: int
    pi_exports: int = 0


def _sweep_pi_exports(var_dir: str | Path | None, now: dt.datetime) -> int:
    if not var_dir:
        return 0
    from hegui.cases.config import load_config  # the TTL is part of the published cases policy
    from hegui.records.exports import EXPORTS_DIR, ExportStore

    return ExportStore(Path(var_dir) / EXPORTS_DIR, load_config(str(var_dir)).pi_export_days).sweep(now)


def purge(db: Database, retention: RetentionSettings, *, now: dt.datetime | None = None,
          actor: str = "system:retention", var_dir: str | Path | None = None) -> PurgeReport:
    """``var_dir`` defaults to the one bound to ``db`` (:func:`hegui.records.protection.protect`)."""
    now = now or utcnow()
    n_exports = _sweep_pi_exports(var_dir or db.info.get("hegui.var_dir"), now)
    usage_cut = now - dt.timedelta(days=retention.usage_log_days)
    failure_cut = now - dt.timedelta(days=retention.failure_log_days)
    with db.session() as s:
        n_content = s.execute(delete(UsageContent).where(UsageContent.expires_at < now)).rowcount or 0
        old_ok = select(UsageRecord.id).where(UsageRecord.status != "error", UsageRecord.created_at < usage_cut)
        s.execute(delete(UsageContent).where(UsageContent.record_id.in_(old_ok)))
        n_usage = s.execute(delete(UsageRecord).where(UsageRecord.status != "error",
                                                      UsageRecord.created_at < usage_cut)).rowcount or 0
        old_err = select(UsageRecord.id).where(UsageRecord.status == "error", UsageRecord.created_at < failure_cut)
        s.execute(delete(UsageContent).where(UsageContent.record_id.in_(old_err)))
        n_fail = s.execute(delete(UsageRecord).where(UsageRecord.status == "error",
                                                     UsageRecord.created_at < failure_cut)).rowcount or 0
        n_otp = s.execute(delete(OtpChallenge).where(OtpChallenge.expires_at < now)).rowcount or 0
        report = PurgeReport(n_content, n_usage, n_fail, n_otp, n_exports)
        audit.append(s, actor, "retention.purge", "records",
                     {"content": n_content, "usage_records": n_usage, "failure_records": n_fail,
                      "otp_challenges": n_otp, "pi_exports": n_exports, "usage_before": usage_cut.isoformat(),
                      "content_days": retention.content_days, "usage_log_days": retention.usage_log_days})
    return report
