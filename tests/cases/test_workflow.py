"""Workflow transitions, deadlines per type, due-soon / overdue alerts and the webhook."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest
from sqlalchemy import select

from hegui.cases.errors import BadTransition
from hegui.cases.models import Case
from hegui.errors import ValidationFailed
from hegui.storage.models import AuditEntry


def test_pi_request_deadline_is_15_working_days(gateway):
    desk = gateway.client.app.state.case_desk
    case = desk.submit(case_type="pi_delete", text="please delete my data", account="someone", channel="web")
    assert case.due_on == desk.calendar.add_working_days(case.received_on, 15)
    other = desk.submit(case_type="sanction_appeal", text="I appeal the suspension", channel="web")
    assert other.due_on == desk.calendar.add_working_days(other.received_on, 10)


def test_transitions_are_checked_and_audited(gateway):
    desk = gateway.client.app.state.case_desk
    case = desk.submit(case_type="other", text="some complaint", channel="web")
    with pytest.raises(BadTransition) as e:
        desk.transition(case.tracking, "resolved", "console:admin")
    assert "received" in e.value.message("zh") and "resolved" in e.value.message("en")
    desk.transition(case.tracking, "triaged", "console:admin")
    desk.transition(case.tracking, "in_review", "console:admin")
    with pytest.raises(ValidationFailed):
        desk.transition(case.tracking, "rejected", "console:admin", "")
    desk.transition(case.tracking, "resolved", "console:admin", "fixed")
    desk.transition(case.tracking, "feedback_sent", "console:admin", "we fixed it")
    with gateway.services.db.session() as s:
        got = [(a.detail["from"], a.detail["to"]) for a in
               s.scalars(select(AuditEntry).where(AuditEntry.action == "case.transition").order_by(AuditEntry.seq))]
    assert got == [("received", "triaged"), ("triaged", "in_review"), ("in_review", "resolved"),
                   ("resolved", "feedback_sent")]


def test_alerts_and_webhook(gateway):
    desk = gateway.client.app.state.case_desk
    late = desk.submit(case_type="other", text="an overdue complaint", channel="web")
    soon = desk.submit(case_type="other", text="a complaint due soon", channel="web")
    fine = desk.submit(case_type="other", text="a fresh complaint", channel="web")
    today = desk.today()
    with gateway.services.db.session() as s:
        s.get(Case, late.id).due_on = today - dt.timedelta(days=3)
        s.get(Case, soon.id).due_on = today
        s.get(Case, fine.id).due_on = today + dt.timedelta(days=40)
    kinds = {a.case.tracking: a.kind for a in desk.alerts()}
    assert kinds == {late.tracking: "overdue", soon.tracking: "due_soon"}
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200)

    desk.config = desk.config.model_copy(update={"webhook_url": "https://hooks.example/alerts"})
    client = httpx.Client(transport=httpx.MockTransport(handler))
    assert desk.send_alerts(client=client) == 2
    assert {a["kind"] for a in seen[0]["alerts"]} == {"overdue", "due_soon"}
    assert desk.send_alerts(client=client) == 0  # each case once per alert kind
    # the console dashboard shows them
    from tests.console.conftest import Console

    desk.calendar_notes = ["calendar-note-2027 / 工作日历"]
    c = Console(gateway).login("admin")
    page = c.get("/console").text
    assert "calendar-note-2027" in page
    assert late.tracking in page and soon.tracking in page and fine.tracking not in page


def test_webhook_failure_changes_nothing(gateway):
    desk = gateway.client.app.state.case_desk
    case = desk.submit(case_type="other", text="an overdue complaint", channel="web")
    with gateway.services.db.session() as s:
        s.get(Case, case.id).due_on = desk.today() - dt.timedelta(days=1)
    desk.config = desk.config.model_copy(update={"webhook_url": "https://hooks.example/alerts"})
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    with pytest.raises(httpx.HTTPStatusError):
        desk.send_alerts(client=client)
    with gateway.services.db.session() as s:
        assert s.get(Case, case.id).alerted is None


def test_case_past_calendar_coverage_gets_a_provisional_deadline(gateway, monkeypatch):
    from hegui.cases import intake

    desk = gateway.client.app.state.case_desk

    class Late(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime(2026, 12, 28, 10, 0, tzinfo=tz)

    monkeypatch.setattr(intake.dt, "datetime", Late)
    case = desk.submit(case_type="pi_access", text="late in the year request", account="someone", channel="web")
    # Mon 28 Dec: 29–31 Dec (3), then 2027 on weekends only: 1, 4–8, 11–15, 18 Jan (12)
    assert case.due_on == dt.date(2027, 1, 18) and case.due_provisional and case.provisional_years == [2027]
    assert not any(a.kind == "no_deadline" and a.case.id == case.id for a in desk.alerts())
