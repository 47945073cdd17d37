"""Retention job: purge what has expired, and log the purge itself in the audit log.

Content (prompts, outputs) expires per ``retention.content_days``; usage and failure logs after
``retention.usage_log_days`` / ``failure_log_days`` (never below six months — CSL; enforced in
settings). Audit entries are kept (PIPL Art 56: ≥ 3 years); they are never purged by this job.
PI access/copy archives under ``var/pi-exports`` are removed ``pi_export_days`` (cases config, bound
to the database by the composition root) after they were generated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select

from hegui.errors import ConfigError
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


EXPORT_DAYS_INFO = "hegui.pi_export_days"  # Database.info: the archives' lifetime, bound at start


def _sweep_pi_exports(var_dir: str | Path | None, days: int | None, now: dt.datetime) -> int:
    if not var_dir:
        return 0
    from hegui.records.exports import EXPORTS_DIR, ExportStore

    if days is None:  # fail closed: archives of personal information are never kept for want of a limit
        raise ConfigError(message_en="the lifetime of PI export archives is not bound to the database "
                                     "(pi_export_days of the cases policy; build the services with "
                                     "hegui.app.build_services, or pass pi_export_days)",
                          message_zh="个人信息导出包的保存期限未绑定到数据库（案件政策中的 pi_export_days；"
                                     "请用 hegui.app.build_services 构建服务，或传入 pi_export_days）")
    return ExportStore(Path(var_dir) / EXPORTS_DIR, days).sweep(now)


def purge(db: Database, retention: RetentionSettings, *, now: dt.datetime | None = None,
          actor: str = "system:retention", var_dir: str | Path | None = None,
          pi_export_days: int | None = None) -> PurgeReport:
    """``var_dir`` and ``pi_export_days`` default to those bound to ``db`` at start
    (:func:`hegui.records.protection.protect`, :func:`hegui.app.services.protect_records`)."""
    now = now or utcnow()
    n_exports = _sweep_pi_exports(var_dir or db.info.get("hegui.var_dir"),
                                  pi_export_days or db.info.get(EXPORT_DAYS_INFO), now)
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
