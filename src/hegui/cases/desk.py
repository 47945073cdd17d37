"""One object the routes, console and CLI share: each method is one transaction (nothing
half-done) with its audit entries inside it."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from hegui.cases import calendar as calendar_mod
from hegui.cases import deadlines, pi_requests, sanctions, sealing, takedown, workflow
from hegui.cases.calendar import WorkingCalendar
from hegui.cases.config import CasesConfig, load_config
from hegui.cases.enforcement import CaseEnforcement
from hegui.cases.errors import SubjectNotFound
from hegui.cases.intake import TZ, TokenBucket, Upload, submit
from hegui.cases.models import Case, CaseEvidence
from hegui.errors import NotFound, ValidationFailed
from hegui.records import audit
from hegui.records.exports import EXPORTS_DIR, ExportStore
from hegui.records.protection import protect_if_unbound

if TYPE_CHECKING:
    from hegui.app.services import Services

log = logging.getLogger("hegui.cases")
PI_ACTIONS = {"pi_access": "export", "pi_copy": "export", "pi_correct": "correct", "pi_supplement": "correct",
              "pi_delete": "erase", "pi_withdraw": "withdraw"}


class CaseDesk:
    def __init__(self, services: Services, config: CasesConfig | None = None,
                 calendar: WorkingCalendar | None = None) -> None:
        self.sv = services
        self.config = config or load_config(services.settings.var_dir)
        var = Path(services.settings.var_dir)
        self.var_dir = var
        self.calendar_notes: list[str] = []
        self._pinned = calendar  # an explicit calendar is used as is (tests); otherwise reloaded on change
        self._calendar: WorkingCalendar | None = calendar
        self._calendar_stamp: tuple | None = None
        self.evidence_dir = var / "evidence"
        self.exports = ExportStore(var / EXPORTS_DIR, self.config.pi_export_days)
        self.exports_dir = self.exports.folder
        protect_if_unbound(services)
        self.bucket = TokenBucket(self.config.intake.burst, self.config.intake.per_hour)
        self.api_bucket = TokenBucket(self.config.intake.api_burst, self.config.intake.api_per_hour)
        enf = services.enforcement
        if isinstance(enf, CaseEnforcement):
            self.blocklist = enf.blocklist
        else:
            from hegui.cases.blocklist import Blocklist

            labels = services.settings.labels
            self.blocklist = Blocklist(services.db, self.config.blocklist, (labels.text_prefix, labels.text_suffix))

    def today(self) -> dt.date:
        return dt.datetime.now(TZ).date()

    # -- calendar ----------------------------------------------------------------------------
    @property
    def calendar(self) -> WorkingCalendar:
        """Shipped calendar merged with ``<var_dir>/calendar/*.yaml``; reloaded when those files
        change (an import by the CLI reaches running workers without a restart)."""
        if self._pinned is not None:
            return self._pinned
        stamp = calendar_mod.stamp(self.var_dir)
        if self._calendar is None or stamp != self._calendar_stamp:
            cal = calendar_mod.load_calendar(self.var_dir)
            changed = self._calendar is not None
            self._calendar, self._calendar_stamp = cal, stamp
            if changed:
                self.calendar_notes = self.check_calendar()
                log.info("working-day calendar reloaded: %s", cal.version)
        return self._calendar

    @calendar.setter
    def calendar(self, value: WorkingCalendar) -> None:
        self._pinned = self._calendar = value

    def check_calendar(self, today: dt.date | None = None) -> list[str]:
        """Start-up / reload warnings (zh and en): which upcoming period is provisional, how to fix."""
        horizon = max((t.working_days for t in self.config.case_types.values()), default=15)
        return self.calendar.startup_check(today or self.today(), horizon)

    def recompute_deadlines(self, actor: str = "system:calendar", include_official: bool = False,
                            imported: dict[str, Any] | None = None) -> list[deadlines.Change]:
        """After importing an official arrangement: recompute provisional (and missing) deadlines
        of open cases; one transaction, the import (if given) and each change audited in it."""
        cal = self.calendar
        with self.sv.db.session() as s:
            if imported is not None:
                audit.append(s, actor, "calendar.imported", "calendar:" + ",".join(map(str, imported.get("years", []))),
                             {**imported, "calendar": cal.version})
            return deadlines.recompute(s, cal, self.config, actor, include_official)

    # -- intake ------------------------------------------------------------------------------
    def submit(self, **kw: Any) -> Case:
        uploads: list[Upload] = kw.pop("uploads", []) or []
        with self.sv.db.session() as s:
            return submit(s, self.config, self.calendar, self.evidence_dir, uploads=uploads, **kw)

    # -- workflow ----------------------------------------------------------------------------
    def transition(self, key: str, dst: str, actor: str, note: str = "") -> Case:
        with self.sv.db.session() as s:
            return workflow.transition(s, workflow.get_case(s, key), dst, actor, note)

    def assign(self, key: str, assignee: str, actor: str) -> Case:
        with self.sv.db.session() as s:
            return workflow.assign(s, workflow.get_case(s, key), assignee, actor)

    def note(self, key: str, note: str, actor: str) -> Case:
        with self.sv.db.session() as s:
            return workflow.add_note(s, workflow.get_case(s, key), note, actor)

    # -- actions the system carries out ------------------------------------------------------
    def execute_pi(self, key: str, actor: str, field: str = "", value: str = "") -> dict[str, Any]:
        """Carry out a PI request case; the case moves to resolved in the same transaction."""
        files: list[str] = []
        archives: list[str] = []
        with self.sv.db.session() as s:
            case = workflow.get_case(s, key)
            action = PI_ACTIONS.get(case.type)
            if action is None:
                raise ValidationFailed(message_en=f"case type {case.type} is not a personal-information request",
                                       message_zh=f"案件类型 {case.type} 不是个人信息权利请求")
            if case.status not in ("triaged", "in_review"):
                raise ValidationFailed(message_en="triage the case (and verify the requester) before executing it",
                                       message_zh="请先分拣案件并核验请求人身份，再执行")
            if not case.subject_user:
                raise SubjectNotFound(user="(unresolved account / 未匹配账号)")
            user = pi_requests.find_subject(s, case.subject_user)
            result: dict[str, Any] = {"action": action}
            if action == "export":
                data = pi_requests.export(s, self.sv.keys, user, actor)
                name = f"{case.tracking}.zip"
                self.exports.write(name, data)
                result.update(archive=name, bytes=len(data), archive_days=self.config.pi_export_days)
            elif action == "correct":
                pi_requests.correct(s, self.sv.keys, self.sv.identity, user, field, value, actor, case.id,
                                    store_full=self.sv.settings.security.store_full_identity)
                result.update(field=field)
            elif action == "withdraw":
                pi_requests.withdraw_consent(s, self.sv.keys, user, actor)
            else:
                erased = pi_requests.erase(s, self.sv.keys, user, actor)
                files, archives = erased.content_ids, erased.archives
                result.update(erased.counts)
            case.result = {**(case.result or {}), **result}
            workflow.transition(s, case, "resolved", actor, f"executed {action} / 已执行")
        if files:
            pi_requests.remove_output_files(self.sv.outputs_dir, files)
        if archives:  # earlier access/copy archives hold the erased user's prompts in plain text
            self.exports.remove(archives)
        return result

    def archive_path(self, name: str) -> Path | None:
        """A PI archive to serve; ``None`` once expired or removed with the user."""
        return self.exports.path(name)

    def read_evidence(self, key: str, evidence_id: str) -> tuple[CaseEvidence, bytes]:
        """An evidence file as uploaded (decrypted, digest checked); console downloads use this."""
        with self.sv.db.session() as s:
            case = workflow.get_case(s, key)
            ev = s.get(CaseEvidence, evidence_id)
            if ev is None or ev.case_id != case.id:
                raise NotFound(detail=f"evidence {evidence_id}")
            case_id = case.id
        try:
            stored = (self.evidence_dir / case_id / ev.stored_as).read_bytes()
        except OSError as exc:
            raise NotFound(detail=f"evidence {evidence_id}") from exc
        return ev, sealing.open_evidence(self.sv.keys, case_id, ev.id, stored, ev.sha256)

    def take_down(self, content_id: str, reason: str, actor: str, case_key: str = "", refutation_zh: str = "",
                  refutation_en: str = "") -> str:
        with self.sv.db.session() as s:
            case = workflow.get_case(s, case_key) if case_key else None
            row = takedown.take_down(s, self.sv.keys, self.blocklist, self.sv.outputs_dir, content_id, reason, actor,
                                     case_id=case.id if case else None, refutation_zh=refutation_zh,
                                     refutation_en=refutation_en)
            if case is not None:
                case.result = {**(case.result or {}), "takedown": row.id}
                workflow.add_note(s, case, f"content {row.content_id} taken down / 已下架", actor)
            tid = row.id
        self.blocklist.invalidate()
        return tid

    def sanction(self, user_id: str, kind: str, reason: str, actor: str, hours: float | None = None,
                 functions: tuple[str, ...] = (), case_key: str = "") -> str:
        with self.sv.db.session() as s:
            case = workflow.get_case(s, case_key) if case_key else None
            row = sanctions.impose(s, self.sv.keys, user_id, kind, reason, actor, hours=hours, functions=functions,
                                   case_id=case.id if case else None)
            return row.id

    def lift(self, sanction_id: str, actor: str, reason: str) -> None:
        with self.sv.db.session() as s:
            sanctions.lift(s, self.sv.keys, sanction_id, actor, reason)

    # -- deadlines ---------------------------------------------------------------------------
    def alerts(self) -> list[workflow.Alert]:
        with self.sv.db.session() as s:
            return workflow.alerts(s, self.calendar, self.config.due_soon_working_days, self.today())

    def send_alerts(self, actor: str = "system:alerts", client: httpx.Client | None = None) -> int:
        """POST new overdue / due-soon alerts to the configured webhook; each case once per kind."""
        url = self.config.webhook_url
        if not url:
            return 0
        sent = 0
        with self.sv.db.session() as s:
            items = workflow.alerts(s, self.calendar, self.config.due_soon_working_days, self.today())
            fresh = [a for a in items if s.get(Case, a.case.id).alerted != a.kind]
            if not fresh:
                return 0
            payload = {"alerts": [_alert_json(a) for a in fresh]}
            own = client is None
            client = client or httpx.Client(timeout=10)
            try:
                r = client.post(url, json=payload)
                r.raise_for_status()
            finally:
                if own:
                    client.close()
            for a in fresh:
                s.get(Case, a.case.id).alerted = a.kind
                sent += 1
            audit.append(s, actor, "case.alerts_sent", "webhook", {"count": sent})
        return sent


def _alert_json(a: workflow.Alert) -> dict[str, Any]:
    out: dict[str, Any] = {"tracking": a.case.tracking, "type": a.case.type, "kind": a.kind,
                           "due_on": a.case.due_on.isoformat() if a.case.due_on else None,
                           "working_days_left": a.working_days_left, "status": a.case.status,
                           "provisional": a.provisional}
    if a.provisional:
        years = ", ".join(map(str, a.case.provisional_years))
        out["note"] = (f"provisional deadline: {years} counted weekends only, holiday arrangement not imported; "
                       f"the official one may be 1 working day earlier / "
                       f"暂定期限：{years} 年仅按周末计算（节假日安排未导入），正式期限可能提前 1 个工作日")
    return out
