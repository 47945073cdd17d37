"""Live evidence for duties the register used to call met because a module imported (issue 11,
"the register tells the truth"): each check here runs the control or reads its live configuration
and records, so a broken control turns its row red.

- DS-14-T (training data; Deep Synthesis Art 14, TC260-003 7c): the real training export runs on
  a scratch database with an opted-out and an opted-in user; met only if the opted-out user's
  content stays out and the other's goes in.
- DS-14-B (separate consent before editing biometric information): a consent self-test and the
  voice-clone/face-swap records (:mod:`hegui.obligations.consent_evidence`).
- LM-9 (Labeling Measures Art 9): the unlabelled-export path is performed on the live database
  inside a transaction that is rolled back; met only if the log row is written with a retention of
  at least six months, and every kept log row still has one.
- IM-15 / DS-12 and PIPL-44: the live cases configuration (operator overrides included) must name
  a time limit for each complaint kind and each PIPL right.
- IM-7: not built (issue 12); IM-8 is in obligations/annotation.py.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from hegui.obligations.register import Finding, Status

if TYPE_CHECKING:
    from hegui.app.services import Services
    from hegui.settings import HeguiSettings
    from hegui.storage.db import Database


# -- DS-14 ------------------------------------------------------------------------------------------

def opt_out_self_test(keys: object) -> str:
    """Run :func:`export_for_training` over a scratch database; '' when the opt-out held, else why."""
    from hegui.records.training_export import export_for_training
    from hegui.records.usage import PendingRecord, RecordWriter
    from hegui.storage.base import Base
    from hegui.storage.db import Database
    from hegui.storage.models import App, EndUser

    with tempfile.TemporaryDirectory(prefix="hegui-optout-") as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'self-test.db'}")
        try:
            Base.metadata.create_all(db.engine)
            with db.session() as s:
                app = App(name="self-test")
                s.add(app)
                s.flush()
                users = {name: EndUser(app_id=app.id, external_id=name, status="verified", training_opt_out=out)
                         for name, out in (("opted-out", True), ("opted-in", False))}
                s.add_all(users.values())
                s.flush()
                ids = {name: u.id for name, u in users.items()}
            writer = RecordWriter(db, keys, 1)  # type: ignore[arg-type]
            for name, uid in ids.items():
                writer.write(PendingRecord(request_id=f"self-test-{name}", endpoint="chat.completions", user_id=uid,
                                           status="ok", content_id=f"hgc-self-test-{name}", prompt=f"prompt {name}",
                                           output="output", training_allowed=True))
            out = Path(tmp) / "export.jsonl"
            export_for_training(writer, out)
            got = {json.loads(line)["content_id"] for line in out.read_text(encoding="utf-8").splitlines()}
        finally:
            db.dispose()
    if "hgc-self-test-opted-out" in got:
        return "the opted-out user's content was exported"
    if "hgc-self-test-opted-in" not in got:
        return "the opted-in user's content was not exported (the self-test proves nothing)"
    return ""


def training_opt_out_finding(sv: Services) -> Finding:
    why = opt_out_self_test(sv.keys)
    if why:
        return Finding(Status.NOT_MET, f"训练数据导出自检失败：{why}", f"training-export self-test failed: {why}")
    return Finding(Status.MET, "训练数据导出自检通过：选择不用于训练的用户内容未被导出，其他用户的内容被导出（个人信息已脱敏）",
                   "training-export self-test passed: an opted-out user's content stayed out, an opted-in "
                   "user's went in (personal information masked)")


def biometric_consent_finding(sv: Services) -> Finding:
    """DS-14-B on live evidence: :mod:`hegui.obligations.consent_evidence` (issue 14)."""
    from hegui.obligations.consent_evidence import biometric_consent_finding as finding

    return finding(sv)


# -- LM-9 -------------------------------------------------------------------------------------------

#: the shortest six calendar months (1 Sep → 1 Mar); measured here, not taken from the code under test
SIX_MONTHS = dt.timedelta(days=181)


def unlabelled_export_finding(db: Database, now: dt.datetime | None = None) -> Finding:
    """Perform the Art 9 path on the live database (rolled back) and check the kept log rows."""
    from sqlalchemy import select

    from hegui.labeling.export import request_unlabelled_export
    from hegui.labeling.models import UnlabelledExport

    now = now or dt.datetime.now(dt.timezone.utc)
    with db.engine.connect() as conn:
        trans = conn.begin()
        try:
            from sqlalchemy.orm import Session

            with Session(bind=conn) as s:
                grant = request_unlabelled_export(s, user_id="self-test", content_id="hgc-register-self-test",
                                                  recipient="self-test recipient", agreement_covers=True, now=now)
                row = s.get(UnlabelledExport, grant.id)
                logged = row is not None and row.recipient == "self-test recipient"
                ok_retention = row is not None and _aware(row.retain_until) - now >= SIX_MONTHS
                kept = s.execute(select(UnlabelledExport.granted_at, UnlabelledExport.retain_until)
                                 .where(UnlabelledExport.id != grant.id)).all()
        finally:
            trans.rollback()
    short = sum(1 for g, r in kept if _aware(r) - _aware(g) < SIX_MONTHS)
    if not logged:
        return Finding(Status.NOT_MET, "无显式标识导出自检：日志行未写入", "unlabelled-export self-test: no log row written")
    if not ok_retention:
        return Finding(Status.NOT_MET, "无显式标识导出自检：日志保存期限不足六个月", "unlabelled-export self-test: log kept < 6 months")
    if short:
        return Finding(Status.NOT_MET, f"{short} 条无显式标识导出日志的保存期限不足六个月",
                       f"{short} unlabelled-export log row(s) kept for less than six months")
    return Finding(Status.MET,
                   f"自检：导出请求写入接收方日志，保存至少六个月（已记录 {len(kept)} 次导出）；"
                   "注意：目前仅可通过 Python API hegui.labeling.export 授予导出，尚无控制台/接口入口",
                   f"self-test: an export request writes the recipient log, kept ≥ 6 months ({len(kept)} export(s) "
                   "logged); note: exports are granted only through the Python API hegui.labeling.export, there is "
                   "no console or HTTP entry yet")


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


# -- complaints and PI rights -----------------------------------------------------------------------

COMPLAINT_KINDS = ("illegal_content", "sanction_appeal")  # IM Art 15, DS Art 12
PI_RIGHTS = {"access": "查阅", "copy": "复制", "correct": "更正", "supplement": "补充", "delete": "删除",
             "withdraw": "撤回同意"}  # PIPL Arts 44–47


def complaint_config_finding(var_dir: str) -> Finding:
    from hegui.cases.config import load_config

    cfg = load_config(var_dir)
    missing = [k for k in COMPLAINT_KINDS if k not in cfg.case_types]
    if missing:
        return Finding(Status.NOT_MET, f"投诉类型缺失：{', '.join(missing)}（cases.yaml）",
                       f"complaint kinds missing: {', '.join(missing)} (cases.yaml)")
    limits = ", ".join(f"{k} {cfg.case_types[k].working_days}" for k in COMPLAINT_KINDS)
    return Finding(Status.MET, f"投诉举报与申诉受理，公布的处理时限（工作日）：{limits}",
                   f"complaint and appeal intake with published time limits (working days): {limits}")


def pi_requests_finding(settings: HeguiSettings) -> Finding:
    from hegui.cases.config import load_config

    cfg = load_config(settings.var_dir)
    missing = [zh for right, zh in PI_RIGHTS.items()
               if not ((t := cfg.case_types.get(f"pi_{right}")) and t.pi)]
    if missing:
        return Finding(Status.NOT_MET, f"个人信息权利请求类型缺失：{'、'.join(missing)}（cases.yaml）",
                       f"PI-request kinds missing: {', '.join(r for r, zh in PI_RIGHTS.items() if zh in missing)} "
                       "(cases.yaml)")
    days = max(cfg.case_types[f"pi_{r}"].working_days for r in PI_RIGHTS)
    return Finding(Status.MET, f"查阅、复制、更正、补充、删除、撤回同意请求均可受理并由系统执行，时限 ≤ {days} 个工作日",
                   f"access, copy, correct, supplement, delete and withdraw-consent requests are taken and executed "
                   f"by the system within ≤ {days} working days")


# -- IM-7 / IM-8 ------------------------------------------------------------------------------------

