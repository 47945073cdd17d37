"""A suspension in force refuses gateway requests (503, zh/en); the register rows DS-7, DS-15 and
GOV-ORDERS flip between met and not met on live records."""

from __future__ import annotations

import datetime as dt

from hegui.governance import algorithm, drills, orders, reviews
from hegui.obligations.register import CHECKS, Status
from hegui.records import audit


def test_an_ordered_suspension_refuses_requests_until_lifted(gateway):
    user = gateway.verified_user("susp-user")
    assert gateway.chat("你好", user=user).status_code == 200
    sv = gateway.services
    with sv.db.session() as s:
        o = orders.add(s, actor="t", authority="国家网信办", reference="网信〔2026〕9号", content="暂停服务",
                       suspension=True)
    r = gateway.chat("你好", user=user)
    assert r.status_code == 503, r.text
    err = r.json()["error"]
    assert err["code"] == "SERVICE_SUSPENDED" and "网信〔2026〕9号" in err["message_zh"]
    assert "suspended by order of the regulator" in err["message_en"]
    zh = gateway.client.post("/v1/chat/completions", headers={**gateway.headers, "Accept-Language": "zh-CN"},
                             json={"model": "hegui-demo-chat", "messages": [{"role": "user", "content": "你好"}],
                                   "user": user})
    assert zh.status_code == 503 and "暂停提供" in zh.json()["error"]["message"]
    with sv.db.session() as s:
        orders.lift_suspension(s, o.id, actor="t", note="lifted")
    assert gateway.chat("你好", user=user).status_code == 200


def test_a_closed_order_or_one_without_suspension_does_not_refuse(gateway):
    user = gateway.verified_user("ok-user")
    with gateway.services.db.session() as s:
        orders.add(s, actor="t", authority="a", reference="r", content="rectify", deadline="2099-01-01")
    assert gateway.chat("你好", user=user).status_code == 200


def test_ds7_needs_a_verified_chain_a_recent_drill_and_a_review(make_services):
    sv = make_services()
    f = CHECKS["governance_systems"](sv)
    assert f.status is Status.NOT_MET and "no emergency drill" in f.reason_en and "no ethics" in f.reason_en
    old = dt.date.today() - dt.timedelta(days=400)
    with sv.db.session() as s:
        drills.add(s, actor="t", held_on=old, scenario="breach", participants=["a"])
    f = CHECKS["governance_systems"](sv)
    assert f.status is Status.NOT_MET and "more than 365 days" in f.reason_en and "no ethics" in f.reason_en
    with sv.db.session() as s:
        drills.add(s, actor="t", held_on=dt.date.today(), scenario="outage", participants=["a"])
        reviews.add(s, actor="t", kind="security", subject="model v1", reviewers=["r"], conclusion="approve")
    f = CHECKS["governance_systems"](sv)
    assert f.status is Status.MET, f
    # a broken audit chain un-meets it
    from sqlalchemy import update

    from hegui.storage.models import AuditEntry

    with sv.db.session() as s:
        s.execute(update(AuditEntry).where(AuditEntry.seq == 1).values(actor="forged"))
    f = CHECKS["governance_systems"](sv)
    assert f.status is Status.NOT_MET and "audit hash chain" in f.reason_en


def test_ds15_needs_a_recent_algorithm_review(make_services):
    sv = make_services()
    f = CHECKS["algorithm_review"](sv)
    assert f.status is Status.NOT_MET and "no algorithm review" in f.reason_en
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=200)
    with sv.db.session() as s:
        algorithm.run(s, algorithm.capture(sv), reviewer="r", scope="all", conclusion="ok", actor="t", at=old)
    f = CHECKS["algorithm_review"](sv)
    assert f.status is Status.NOT_MET and "more than 180 days" in f.reason_en
    sv.settings.governance.algorithm_review_max_age_days = 365
    assert CHECKS["algorithm_review"](sv).status is Status.MET
    sv.settings.governance.algorithm_review_max_age_days = 180
    with sv.db.session() as s:
        algorithm.run(s, algorithm.capture(sv), reviewer="r", scope="all", conclusion="ok", actor="t")
    assert CHECKS["algorithm_review"](sv).status is Status.MET


def test_orders_row_names_overdue_orders_and_shows_a_suspension(make_services):
    sv = make_services()
    assert CHECKS["regulator_orders"](sv).status is Status.MET
    with sv.db.session() as s:
        late = orders.add(s, actor="t", authority="省网信办", reference="REF-LATE", content="c",
                          received_on="2026-01-01", deadline="2026-01-10", tasks=["t1"])
        orders.add(s, actor="t", authority="市网信办", reference="REF-SUSP", content="c", suspension=True)
    f = CHECKS["regulator_orders"](sv)
    assert f.status is Status.NOT_MET and "REF-LATE" in f.reason_en and "REF-LATE" in f.reason_zh
    assert "suspension in force: REF-SUSP" in f.reason_en
    with sv.db.session() as s:
        orders.task_done(s, late.id, 1, actor="t", evidence=["fix.pdf"])
        orders.close(s, late.id, actor="t")
        assert audit.verify(s).ok
    f = CHECKS["regulator_orders"](sv)
    assert f.status is Status.MET and "REF-SUSP" in f.reason_en
