"""The console's management-records page: renders for every role, highlights overdue items and a
suspension in force; admins open and advance incidents and record drills (CSRF, audited); other
roles may not."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from hegui.governance import incidents, orders
from hegui.storage.models import AuditEntry
from tests.console.conftest import console, csrf_of  # noqa: F401 - console is the fixture


def test_page_lists_registers_and_highlights_overdue_and_suspension(console):
    sv = console.gw.services
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3)
    with sv.db.session() as s:
        incidents.open_incident(s, actor="t", kind="data_breach", severity="high", summary="<b>leak</b>",
                                detected_at=past, report_hours={"data_breach": 24})
        orders.add(s, actor="t", authority="省网信办", reference="REF-LATE", content="c", received_on="2026-01-01",
                   deadline="2026-01-05", suspension=True)
    for role in ("admin", "auditor"):
        r = console.login(role).get("/console/governance")
        assert r.status_code == 200
        assert 'id="suspension-banner"' in r.text and "REF-LATE" in r.text
        assert r.text.count('class="overdue"') == 2
        assert "<b>leak</b>" not in r.text and "&lt;b&gt;leak&lt;/b&gt;" in r.text
    en = console.login("admin").get("/console/governance?lang=en")
    assert "<h1>Management records</h1>" in en.text and "Overdue" in en.text
    zh = console.login("admin").get("/console/governance?lang=zh")
    assert "<h1>管理制度记录</h1>" in zh.text and "已逾期" in zh.text


def test_admin_opens_and_advances_an_incident_and_records_a_drill(console):
    c = console.login("admin")
    page = c.get("/console/governance")
    token = csrf_of(page.text)
    r = c.post("/console/governance/incidents", data={"csrf": token, "kind": "model_misuse", "severity": "medium",
                                                     "summary": "jailbreak wave", "refs": "hgc-1, case:2"})
    assert r.status_code == 303
    with console.gw.services.db.session() as s:
        row = incidents.listing(s)[0]
        assert row.refs == ["hgc-1", "case:2"]
    r = c.post(f"/console/governance/incidents/{row.id}/advance", data={"csrf": token, "to": "classified"})
    assert r.status_code == 303
    r = c.post(f"/console/governance/incidents/{row.id}/advance", data={"csrf": token, "to": "closed"})
    assert r.status_code == 409 and "cannot move" in r.text
    r = c.post("/console/governance/drills", data={"csrf": token, "held_on": dt.date.today().isoformat(),
                                                  "scenario": "outage", "participants": "A, B"})
    assert r.status_code == 303
    assert "outage" in c.get("/console/governance").text
    r = c.post("/console/governance/drills", data={"csrf": "wrong", "held_on": "2026-01-01", "scenario": "x",
                                                  "participants": "A"})
    assert r.status_code in (400, 403)
    with console.gw.services.db.session() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    assert {"incident.detected", "incident.classified", "drill.recorded"} <= set(actions)


def test_reviewer_may_read_but_not_write(console):
    c = console.login("reviewer")
    page = c.get("/console/governance")
    assert page.status_code == 200 and 'action="/console/governance/incidents"' not in page.text
    r = c.post("/console/governance/incidents", data={"csrf": csrf_of(page.text), "kind": "other",
                                                     "severity": "low", "summary": "x"})
    assert r.status_code == 403
    with console.gw.services.db.session() as s:
        assert incidents.listing(s) == []
