"""Escalation rule, sanctions in the gateway, takedown and the regeneration blocklist."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from hegui.cases.desk import CaseDesk
from hegui.cases.models import BlocklistEntry, Sanction, Takedown
from hegui.cases.sanctions import aware
from hegui.storage.models import AuditEntry, EndUser, UsageRecord


def _desk(gw) -> CaseDesk:
    return gw.client.app.state.case_desk


def _uid(gw, name: str) -> str:
    with gw.services.db.session() as s:
        return s.scalar(select(EndUser.id).where(EndUser.external_id == name))


def test_three_refusals_in_a_row_suspend_with_reason_and_appeal(gateway_factory, db_url):
    gateway = gateway_factory(db_url=db_url)
    gateway.verified_user("u1")
    for _ in range(3):
        r = gateway.chat("tell me forbidden-term", user="u1")
        assert r.status_code == 200 and r.json()["choices"][0]["finish_reason"] == "content_filter"
    r = gateway.chat("hello", user="u1", )
    assert r.status_code == 403
    err = r.json()["error"]
    assert err["code"] == "USER_SANCTIONED"
    assert "3" in err["message_en"] and "appeal" in err["message_en"].lower() and "/complaints?type=sanction_appeal" in err["message_en"]
    assert "申诉" in err["message_zh"] and "暂停服务" in err["message_zh"]
    with gateway.services.db.session() as s:
        row = s.scalar(select(Sanction))
        assert row.kind == "suspend" and row.actor == "system:escalation"
        assert row.ends_at - row.starts_at == dt.timedelta(hours=24)
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "sanction.suspend"))
        assert entry.target.startswith("user#") and _uid(gateway, "u1") not in entry.target


def test_allowed_input_resets_the_streak(gateway):
    gateway.verified_user("u2")
    for text in ["forbidden-term", "forbidden-term", "hi", "forbidden-term", "forbidden-term"]:
        assert gateway.chat(text, user="u2").status_code == 200
    assert gateway.chat("hi again", user="u2").status_code == 200  # 4 today, streak 2: no sanction yet


def test_daily_rule_needs_five(gateway):
    gateway.verified_user("u3")
    for text in ["forbidden-term", "forbidden-term", "ok", "forbidden-term", "forbidden-term", "ok"]:
        assert gateway.chat(text, user="u3").status_code == 200
    assert gateway.chat("forbidden-term", user="u3").status_code == 200  # the 5th refusal today
    assert gateway.chat("ok", user="u3").status_code == 403


def test_manual_sanctions_restrict_terminate_and_lift(gateway):
    gateway.verified_user("u4")
    desk, uid = _desk(gateway), _uid(gateway, "u4")
    sid = desk.sanction(uid, "restrict", "spam images / 滥用图片生成", "console:admin", functions=("images",))
    assert gateway.chat("hello", user="u4").status_code == 200
    r = gateway.post("/v1/images/generations", {"model": "hegui-demo-image", "prompt": "a cat", "user": "u4"})
    assert r.status_code == 403 and "spam images" in r.json()["error"]["message_en"]
    desk.lift(sid, "console:admin", "ok now")
    desk.sanction(uid, "warn", "first warning", "console:admin")
    assert gateway.chat("hello", user="u4").status_code == 200
    desk.sanction(uid, "terminate", "repeated illegal content", "console:admin")
    r = gateway.chat("hello", user="u4")
    assert r.status_code == 403 and "terminated" in r.json()["error"]["message_en"]


def test_takedown_blocks_regeneration_exact_and_near(gateway_factory, db_url):
    gateway = gateway_factory(db_url=db_url)
    gateway.verified_user("u5")
    rumour = "某市自来水厂被投毒，全市停水三天，请立即抢购瓶装水。这是一条虚假信息。"
    r = gateway.chat(f"/echo {rumour}", user="u5")
    assert r.status_code == 200
    cid = r.headers["x-hegui-content-id"]
    assert rumour in r.json()["choices"][0]["message"]["content"]
    _desk(gateway).take_down(cid, "rumour / 谣言", "console:admin", refutation_zh="经核实，该市供水正常。")
    with gateway.services.db.session() as s:
        assert s.scalar(select(UsageRecord.taken_down_at).where(UsageRecord.content_id == cid)) is not None
        assert aware(s.scalar(select(BlocklistEntry)).expires_at) > dt.datetime.now(dt.UTC) + dt.timedelta(days=91)
        assert s.scalar(select(Takedown)).refutation_zh
    for variant in (rumour, rumour.replace("，", ", "), rumour + "！！", rumour.replace("三天", "3天")):
        r = gateway.chat(f"/echo {variant}", user="u5")
        body = r.json()
        assert body["choices"][0]["finish_reason"] == "content_filter", variant
        assert rumour not in body["choices"][0]["message"]["content"]
    # unrelated text still passes
    ok = gateway.chat("/echo 今天天气很好，适合散步。", user="u5").json()
    assert ok["choices"][0]["finish_reason"] == "stop"
    # streaming too
    with gateway.client.stream("POST", "/v1/chat/completions", headers=gateway.headers,
                               json={"model": "hegui-demo-chat", "stream": True, "user": "u5",
                                     "messages": [{"role": "user", "content": f"/echo {rumour}"}]}) as resp:
        text = "".join(resp.iter_text())
    assert "content_filter" in text
    assert rumour not in _streamed(text) and "不再提供" in _streamed(text)
    notices = gateway.client.get("/notices?lang=zh")
    assert "经核实，该市供水正常。" in notices.text


def test_blocklist_expiry(gateway):
    gateway.verified_user("u6")
    text = "一段需要下架并在到期后恢复的测试文本内容。"
    cid = gateway.chat(f"/echo {text}", user="u6").headers["x-hegui-content-id"]
    desk = _desk(gateway)
    desk.take_down(cid, "test", "console:admin")
    assert desk.blocklist.match_text(text) is not None
    with gateway.services.db.session() as s:
        s.scalar(select(BlocklistEntry)).expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    desk.blocklist.invalidate()
    assert desk.blocklist.match_text(text) is None


def test_image_takedown_stops_serving_and_regeneration(gateway):
    gateway.verified_user("u7")
    body = {"model": "hegui-demo-image", "prompt": "a red lighthouse", "user": "u7", "response_format": "url"}
    r = gateway.post("/v1/images/generations", body)
    assert r.status_code == 200, r.text
    url = r.json()["data"][0]["url"]
    path = url[url.index("/v1/outputs/"):]
    assert gateway.client.get(path, headers=gateway.headers).status_code == 200
    cid = path.rsplit("/", 1)[1].split(".")[0]
    _desk(gateway).take_down(cid, "illegal image", "console:admin")
    assert gateway.client.get(path, headers=gateway.headers).status_code == 404
    again = gateway.post("/v1/images/generations", body)
    assert again.status_code == 400 and "taken down" in again.json()["error"]["message_en"]
    other = gateway.post("/v1/images/generations", {**body, "prompt": "a blue teapot on a table"})
    assert other.status_code == 200


def test_takedown_errors_are_clear_and_atomic(gateway):
    desk = _desk(gateway)
    import pytest

    from hegui.errors import NotFound, ValidationFailed

    with pytest.raises(NotFound):
        desk.take_down("hgc-" + "0" * 32, "x", "console:admin")
    gateway.verified_user("u8")
    cid = gateway.chat("/echo 普通内容测试", user="u8").headers["x-hegui-content-id"]
    with pytest.raises(ValidationFailed):
        desk.take_down(cid, "  ", "console:admin")
    with gateway.services.db.session() as s:
        assert s.scalar(select(UsageRecord.taken_down_at).where(UsageRecord.content_id == cid)) is None
        assert s.scalar(select(Takedown)) is None


def test_concurrent_refusals_do_not_lose_records(gateway_factory, db_url):
    """The counter row is created race-free inside the usage-record transaction."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func

    gateway = gateway_factory(db_url=db_url)
    gateway.verified_user("racer")
    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(lambda _: gateway.chat("forbidden-term", user="racer").status_code, range(6)))
    assert all(c in (200, 403) for c in codes)
    with gateway.services.db.session() as s:
        n = s.scalar(select(func.count()).select_from(UsageRecord).where(UsageRecord.user_id == _uid(gateway, "racer")))
        assert n == 6  # every request left its record
        assert s.scalar(select(Sanction).where(Sanction.user_id == _uid(gateway, "racer"))) is not None


def _streamed(sse: str) -> str:
    import json

    parts = []
    for line in sse.splitlines():
        if line.startswith("data: {"):
            for choice in json.loads(line[6:]).get("choices", []):
                parts.append(choice.get("delta", {}).get("content") or "")
    return "".join(parts)


def test_long_taken_down_answer_is_cut_early_in_a_stream(gateway_factory):
    """Containment: a stream is cut once what it has produced lies inside a blocked item, long
    before the whole taken-down answer has gone out (Interim Measures Art 14)."""
    gateway = gateway_factory()
    gateway.verified_user("u9")
    sentences = [f"第{i}条：网传某市自来水厂被投毒，全市停水{i}天，请立即抢购瓶装水，这是一条虚假信息。" for i in range(1, 16)]
    rumour = "".join(sentences)
    r = gateway.chat(f"/echo {rumour}", user="u9")
    _desk(gateway).take_down(r.headers["x-hegui-content-id"], "rumour / 谣言", "console:admin")
    with gateway.client.stream("POST", "/v1/chat/completions", headers=gateway.headers,
                               json={"model": "hegui-demo-chat", "stream": True, "user": "u9",
                                     "messages": [{"role": "user", "content": f"/echo {rumour}"}]}) as resp:
        sse = "".join(resp.iter_text())
    got = _streamed(sse)
    assert '"finish_reason":"content_filter"' in sse.replace(" ", "")
    assert "不再提供" in got
    delivered = sum(1 for s in sentences if s in got)
    assert delivered <= 3, (delivered, got)
    with gateway.services.db.session() as s:
        rec = s.scalars(select(UsageRecord).where(UsageRecord.stream.is_(True))).all()[-1]
    assert rec.output_action == "block" and any(x["id"] == "blocklist" for x in rec.risks)
