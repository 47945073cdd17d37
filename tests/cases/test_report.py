"""Regulator report: CSV and a Chinese PDF with embedded CJK fonts."""

from __future__ import annotations

import datetime as dt
import re
import zlib

from sqlalchemy import select

from hegui.cases import report
from hegui.storage.models import AuditEntry, EndUser


def _setup(gw) -> None:
    gw.verified_user("rep")
    desk = gw.client.app.state.case_desk
    desk.submit(case_type="rumour", text="举报一条谣言内容", channel="web")
    cid = gw.chat("/echo 这是一条要下架的谣言，内容虚假。", user="rep").headers["x-hegui-content-id"]
    desk.take_down(cid, "散布谣言", "console:admin")
    with gw.services.db.session() as s:
        uid = s.scalar(select(EndUser.id).where(EndUser.external_id == "rep"))
    desk.sanction(uid, "warn", "发布违法信息警示", "console:admin")


def test_csv_and_pdf(gateway):
    _setup(gateway)
    sv = gateway.services
    desk = gateway.client.app.state.case_desk
    today = desk.today()
    with sv.db.session() as s:
        rep = report.collect(s, desk.config, sv.keys, today - dt.timedelta(days=1), today)
    assert len(rep.cases) == 1 and len(rep.takedowns) == 1 and len(rep.sanctions) == 1
    csv_text = report.to_csv(rep).decode("utf-8-sig")
    assert "散布谣言" in csv_text and "虚假信息" in csv_text and "警示" in csv_text
    pdf = report.to_pdf(rep, sv.settings)
    assert pdf.startswith(b"%PDF-")
    assert _in_streams(pdf, b"/FontFile"), "fonts must be embedded"
    assert _in_streams(pdf, b"CJK"), "a Noto CJK font must be used"


def _in_streams(pdf: bytes, needle: bytes) -> bool:
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.DOTALL):
        if needle in m.group(1):
            return True
        try:
            if needle in zlib.decompress(m.group(1)):
                return True
        except zlib.error:
            continue
    return False


def test_period_validation(gateway):
    import pytest

    from hegui.errors import ValidationFailed

    desk = gateway.client.app.state.case_desk
    with gateway.services.db.session() as s, pytest.raises(ValidationFailed):
        report.collect(s, desk.config, gateway.services.keys, dt.date(2026, 2, 1), dt.date(2026, 1, 1))


def test_export_is_audited(gateway):
    _setup(gateway)
    desk = gateway.client.app.state.case_desk
    with gateway.services.db.session() as s:
        rep = report.collect(s, desk.config, gateway.services.keys, desk.today(), desk.today())
        report.audit_export(s, "console:admin", rep, "csv")
    with gateway.services.db.session() as s:
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "report.exported")) is not None
