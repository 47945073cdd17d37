"""The management records: each register, the incident state machine and its audit entries,
deadlines and overdue detection, the algorithm-review diff (docs/governance.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from hegui.errors import ValidationFailed
from hegui.governance import algorithm, drills, incidents, orders, reviews, suspension_in_force
from hegui.governance.errors import IllegalTransition, RecordNotFound
from hegui.records import audit
from hegui.storage.models import AuditEntry

HOURS = {"data_breach": 4, "illegal_content": 24}


def _actions(s, target: str) -> list[str]:
    return [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.target == target).order_by(AuditEntry.seq))]


def test_incident_walks_its_state_machine_and_every_step_is_audited(make_services, db_url):
    sv = make_services(db_url=db_url)
    with sv.db.session() as s:
        row = incidents.open_incident(s, actor="t", kind="data_breach", severity="high", summary="export leaked",
                                      refs=["hgc-1", "case:9", "hgc-1"], report_hours=HOURS)
        iid = row.id
        assert row.refs == ["hgc-1", "case:9"] and row.state == "detected"
        assert incidents.aware(row.report_due_at) - incidents.aware(row.detected_at) == dt.timedelta(hours=4)
    with sv.db.session() as s:
        with pytest.raises(IllegalTransition) as e:
            incidents.advance(s, iid, "closed", actor="t")
        assert "classified" in e.value.message("en") and e.value.http_status == 409
        for target in ("classified", "contained"):
            incidents.advance(s, iid, target, actor="t", note="n")
        with pytest.raises(IllegalTransition):  # reportable: closes only once reported
            incidents.advance(s, iid, "closed", actor="t")
        incidents.advance(s, iid, "reported", actor="t", refs=["cac-ticket-7"])
        row = incidents.advance(s, iid, "closed", actor="t")
        assert row.closed_at is not None and "cac-ticket-7" in row.refs and incidents.allowed(row) == ()
    with sv.db.session() as s:
        assert _actions(s, f"incident:{iid}") == ["incident.detected", "incident.classified", "incident.contained",
                                                   "incident.reported", "incident.closed"]
        assert audit.verify(s).ok


def test_incident_report_deadline_and_overdue(make_services):
    sv = make_services()
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=30)
    with sv.db.session() as s:
        late = incidents.open_incident(s, actor="t", kind="illegal_content", severity="medium", summary="spread",
                                       detected_at=past.isoformat(), report_hours=HOURS)
        fresh = incidents.open_incident(s, actor="t", kind="illegal_content", severity="low", summary="x",
                                        report_hours=HOURS)
        none = incidents.open_incident(s, actor="t", kind="other", severity="low", summary="y", report_hours=HOURS)
        assert incidents.report_overdue(late) and not incidents.report_overdue(fresh)
        assert none.report_due_at is None and not incidents.report_overdue(none)
        incidents.advance(s, late.id, "classified", actor="t")
        incidents.advance(s, late.id, "reported", actor="t")
        assert not incidents.report_overdue(late)
        incidents.advance(s, late.id, "contained", actor="t")  # reported before containment
        assert incidents.allowed(late) == ("closed",)  # reported once; its time is not overwritten
        with pytest.raises(IllegalTransition):
            incidents.advance(s, late.id, "reported", actor="t")
        # an incident with no report rule may close once contained
        incidents.advance(s, none.id, "classified", actor="t")
        incidents.advance(s, none.id, "contained", actor="t")
        assert incidents.advance(s, none.id, "closed", actor="t").state == "closed"


@pytest.mark.parametrize("kw, word", [({"kind": "meteor"}, "kind"), ({"severity": "huge"}, "severity"),
                                      ({"summary": " "}, "summary"), ({"detected_at": "yesterday"}, "ISO"),
                                      ({"detected_at": "2999-01-01"}, "future")])
def test_bad_incident_input_is_refused_clearly(make_services, kw, word):
    sv = make_services()
    args = {"kind": "data_breach", "severity": "low", "summary": "s", **kw}
    with sv.db.session() as s:
        with pytest.raises(ValidationFailed) as e:
            incidents.open_incident(s, actor="t", report_hours=HOURS, **args)
    assert word in e.value.message("en") and e.value.message("zh")


def test_unknown_incident_and_bad_target(make_services):
    sv = make_services()
    with sv.db.session() as s:
        with pytest.raises(RecordNotFound):
            incidents.advance(s, "nope", "classified", actor="t")
        row = incidents.open_incident(s, actor="t", kind="other", severity="low", summary="s", report_hours={})
        with pytest.raises(ValidationFailed):
            incidents.advance(s, row.id, "vanished", actor="t")


def test_drills_and_reviews(make_services, db_url):
    sv = make_services(db_url=db_url)
    with sv.db.session() as s:
        drills.add(s, actor="t", held_on="2026-01-05", scenario="data breach", participants=["a", "b"])
        d = drills.add(s, actor="t", held_on=dt.date(2026, 6, 1), scenario="outage", participants=["a"],
                       findings="pager slow")
        assert drills.latest(s).id == d.id and len(drills.listing(s)) == 2
        with pytest.raises(ValidationFailed):
            drills.add(s, actor="t", held_on="2026-02-30", scenario="x", participants=["a"])
        with pytest.raises(ValidationFailed):
            drills.add(s, actor="t", held_on="2026-01-01", scenario="x", participants=[])
        assert reviews.count(s) == 0
        r = reviews.add(s, actor="t", kind="ethics", subject="image model v2", reviewers=["张三", "Li"],
                        conclusion="approve_with_conditions", conditions="no faces", evidence=["minutes.pdf"])
        assert r.reviewed_on == dt.datetime.now(dt.timezone.utc).date() and reviews.count(s) == 1
        with pytest.raises(ValidationFailed):  # conditions required
            reviews.add(s, actor="t", kind="security", subject="x", reviewers=["a"], conclusion="approve_with_conditions")
        with pytest.raises(ValidationFailed):
            reviews.add(s, actor="t", kind="security", subject="x", reviewers=["a"], conclusion="maybe")
    with sv.db.session() as s:
        assert _actions(s, f"review:{r.id}") == ["review.recorded"]
        assert _actions(s, f"drill:{d.id}") == ["drill.recorded"]


def test_orders_tasks_overdue_close_and_suspension(make_services, db_url):
    sv = make_services(db_url=db_url)
    with sv.db.session() as s:
        o = orders.add(s, actor="t", authority="浙江省网信办", reference="浙网信〔2026〕1号", content="整改",
                       received_on="2026-01-02", deadline="2026-01-20", tasks=["fix filter", "retrain staff"],
                       suspension=True)
        oid = o.id
        assert orders.overdue(o, dt.date(2026, 1, 21)) and not orders.overdue(o, dt.date(2026, 1, 20))
        assert [x.id for x in orders.overdue_orders(s)] == [oid]
        assert suspension_in_force(s).id == oid
        with pytest.raises(ValidationFailed):
            orders.close(s, oid, actor="t", evidence=["report.pdf"])  # tasks pending
        orders.task_done(s, oid, 1, actor="t", evidence=["patch-123"])
        with pytest.raises(ValidationFailed):
            orders.task_done(s, oid, 3, actor="t")
        orders.task_done(s, oid, 2, actor="t")
        closed = orders.close(s, oid, actor="t")  # evidence from the tasks suffices
        assert closed.closed_at and closed.suspension_lifted_at and not orders.overdue(closed)
        assert suspension_in_force(s) is None and orders.overdue_orders(s) == []
        with pytest.raises(ValidationFailed):
            orders.task_done(s, oid, 1, actor="t")
        with pytest.raises(ValidationFailed):
            orders.add(s, actor="t", authority="a", reference="r", content="c", received_on="2026-02-01",
                       deadline="2026-01-01")
        with pytest.raises(RecordNotFound):
            orders.close(s, "nope", actor="t")
    with sv.db.session() as s:
        assert _actions(s, f"order:{oid}") == ["order.received", "order.task_done", "order.task_done", "order.closed"]


def test_suspension_can_be_lifted_while_the_order_stays_open(make_services):
    sv = make_services()
    with sv.db.session() as s:
        o = orders.add(s, actor="t", authority="a", reference="r", content="c", suspension=True)
        orders.lift_suspension(s, o.id, actor="t", note="authority letter 2026-03")
        assert suspension_in_force(s) is None and o.closed_at is None
        with pytest.raises(ValidationFailed):
            orders.lift_suspension(s, o.id, actor="t", note="again")


def test_algorithm_review_captures_versions_and_diffs_against_the_previous(make_services):
    sv = make_services()
    v1 = algorithm.capture(sv)
    assert v1["agreement.version"] == sv.agreement.version and "moderation.taxonomy" in v1
    assert "labels.text_prefix" in v1
    with sv.db.session() as s:
        first = algorithm.run(s, v1, reviewer="王五", scope="all", conclusion="ok", actor="t")
        assert first.diff["previous"] is None and first.diff["added"] == v1
    v2 = dict(v1)
    v2["moderation.pack.operator"] = "2"
    v2["agreement.version"] = "2027-01"
    del v2["labels.image_text"]
    with sv.db.session() as s:
        second = algorithm.run(s, v2, reviewer="王五", scope="all", conclusion="ok", actor="t")
        assert second.diff["previous"] == first.id
        assert second.diff["added"] == {"moderation.pack.operator": "2"}
        assert second.diff["removed"] == {"labels.image_text": v1["labels.image_text"]}
        assert second.diff["changed"] == {"agreement.version": [v1["agreement.version"], "2027-01"]}
        assert algorithm.latest(s).id == second.id
    # a changed setting shows up in a fresh capture
    sv.settings.labels.image_text = "AI 合成"
    assert algorithm.diff(v1, algorithm.capture(sv))["changed"]["labels.image_text"] == [v1["labels.image_text"], "AI 合成"]


def test_report_hours_setting_names_only_known_kinds():
    from hegui.errors import ConfigError
    from hegui.settings import load_settings

    assert load_settings(None, governance={"report_hours": {"data_breach": 2}}).governance.report_hours == {"data_breach": 2}
    with pytest.raises(ConfigError) as e:
        load_settings(None, governance={"report_hours": {"meteor": 2}})
    assert "meteor" in str(e.value)
