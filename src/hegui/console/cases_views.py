"""Console pages for cases: list, detail, workflow, PI execution, takedown, report, alerts."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import select

from hegui.cases import report, workflow
from hegui.cases.desk import PI_ACTIONS, CaseDesk
from hegui.cases.errors import ArchiveExpired
from hegui.cases.models import Case, CaseEvidence
from hegui.cases.pi_requests import CORRECTABLE
from hegui.console.auth import ADMIN, ALL, WORK, action, actor, page, services_of
from hegui.errors import NotFound, ValidationFailed
from hegui.web.render import render

router = APIRouter(prefix="/console")


def desk_of(request: Request) -> CaseDesk:
    return request.app.state.case_desk


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` for a download whose name the submitter chose: an ASCII fallback
    with anything unsafe replaced, and the full name percent-encoded (RFC 6266 / RFC 5987)."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", filename)[:120] or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename[:200], safe='')}"


@router.get("/cases")
def case_list(request: Request):
    sv, desk = services_of(request), desk_of(request)
    status = request.query_params.get("status", "")

    def show(sess):
        with sv.db.session() as s:
            q = select(Case).order_by(Case.created_at.desc()).limit(200)
            if status in workflow.STATUSES:
                q = q.where(Case.status == status)
            cases = list(s.scalars(q))
        return render(request, "cases.html", sess=sess, cases=cases, cfg=desk.config, status=status,
                      statuses=workflow.STATUSES, status_zh=workflow.STATUS_ZH, status_en=workflow.STATUS_EN,
                      today=desk.today())

    return page(request, ALL, show)


@router.post("/cases")
async def case_new(request: Request):
    desk = desk_of(request)

    def run(sess, form):
        case = desk.submit(case_type=form.get("type"), text=form.get("text"), contact=form.get("contact"),
                           account=form.get("account"), content_id=form.get("content_id"), channel="console",
                           lang="zh", actor=actor(sess))
        return f"/console/cases/{case.tracking}"

    return await action(request, WORK, run)


@router.get("/cases/{key}")
def case_detail(request: Request, key: str):
    sv, desk = services_of(request), desk_of(request)

    def show(sess):
        with sv.db.session() as s:
            case = workflow.get_case(s, key)
            evs = workflow.events(s, case)
            evidence = list(s.scalars(select(CaseEvidence).where(CaseEvidence.case_id == case.id)))
        return render(request, "case.html", sess=sess, case=case, events=evs, evidence=evidence, cfg=desk.config,
                      next_states=workflow.NEXT.get(case.status, ()), status_zh=workflow.STATUS_ZH,
                      status_en=workflow.STATUS_EN, pi_action=PI_ACTIONS.get(case.type), correctable=CORRECTABLE)

    return page(request, ALL, show)


@router.post("/cases/{key}/transition")
async def case_transition(request: Request, key: str):
    desk = desk_of(request)

    def run(sess, form):
        case = desk.transition(key, form.get("to"), actor(sess), form.get("note"))
        return f"/console/cases/{case.tracking}"

    return await action(request, WORK, run)


@router.post("/cases/{key}/assign")
async def case_assign(request: Request, key: str):
    desk = desk_of(request)

    def run(sess, form):
        return f"/console/cases/{desk.assign(key, form.get('assignee'), actor(sess)).tracking}"

    return await action(request, WORK, run)


@router.post("/cases/{key}/note")
async def case_note(request: Request, key: str):
    desk = desk_of(request)

    def run(sess, form):
        return f"/console/cases/{desk.note(key, form.get('note'), actor(sess)).tracking}"

    return await action(request, WORK, run)


@router.post("/cases/{key}/execute")
async def case_execute(request: Request, key: str):
    desk = desk_of(request)

    def run(sess, form):
        if form.get("confirm") != "yes":
            raise ValidationFailed(message_en="tick the confirmation box to execute the request",
                                   message_zh="请勾选确认框后再执行请求")
        desk.execute_pi(key, actor(sess), form.get("field"), form.get("value"))
        return f"/console/cases/{key}"

    return await action(request, ADMIN, run)


@router.get("/cases/{key}/archive")
def case_archive(request: Request, key: str):
    sv, desk = services_of(request), desk_of(request)

    def show(sess):
        with sv.db.session() as s:
            case = workflow.get_case(s, key)
            name = (case.result or {}).get("archive")
            if not name:
                raise NotFound(detail=f"archive of {key}")
            from hegui.records import audit

            path = desk.archive_path(name)
            if path is None:  # expired (PIPL Art 47) or removed with the erased user: nothing to audit
                raise ArchiveExpired(days=desk.config.pi_export_days)
            audit.append(s, actor(sess), "pi.archive_downloaded", f"case:{case.tracking}", {})
        return FileResponse(path, media_type="application/zip", filename=name)

    return page(request, ADMIN, show)


@router.get("/cases/{key}/evidence/{eid}")
def case_evidence(request: Request, key: str, eid: str):
    """Evidence as uploaded: decrypted and checked against its intake digest (PIPL Art 51)."""
    sv, desk = services_of(request), desk_of(request)

    def show(sess):
        ev, data = desk.read_evidence(key, eid)
        with sv.db.session() as s:
            from hegui.records import audit

            case = workflow.get_case(s, key)
            audit.append(s, actor(sess), "case.evidence_viewed", f"case:{case.tracking}", {"evidence": ev.id})
        return Response(data, media_type="application/octet-stream",
                        headers={"Content-Disposition": attachment(ev.filename),
                                 "X-Content-Type-Options": "nosniff"})

    return page(request, WORK, show)


@router.post("/takedown")
async def takedown(request: Request):
    desk = desk_of(request)

    def run(sess, form):
        desk.take_down(form.get("content_id"), form.get("reason"), actor(sess), form.get("case"),
                       form.get("refutation_zh"), form.get("refutation_en"))
        case = form.get("case")
        return f"/console/cases/{case}" if case else "/console/records"

    return await action(request, WORK, run)


@router.post("/alerts/send")
async def send_alerts(request: Request):
    desk = desk_of(request)

    def run(sess, form):
        desk.send_alerts(actor(sess))
        return "/console"

    return await action(request, ADMIN, run)


@router.get("/report")
def regulator_report(request: Request):
    sv, desk = services_of(request), desk_of(request)
    q = request.query_params

    def show(sess):
        try:
            start = dt.date.fromisoformat(q.get("from", ""))
            end = dt.date.fromisoformat(q.get("to", ""))
        except ValueError as exc:
            raise ValidationFailed(message_en="choose a start and end date", message_zh="请选择开始和结束日期") from exc
        fmt = q.get("format", "csv")
        with sv.db.session() as s:
            rep = report.collect(s, desk.config, sv.keys, start, end)
            data = report.to_pdf(rep, sv.settings) if fmt == "pdf" else report.to_csv(rep)
            report.audit_export(s, actor(sess), rep, fmt)
        media = "application/pdf" if fmt == "pdf" else "text/csv; charset=utf-8"
        name = f"hegui-report-{start}-{end}.{'pdf' if fmt == 'pdf' else 'csv'}"
        return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    return page(request, ALL, show)
