"""Regeneration blocklist against real answers: boilerplate does not over-block, entries apply at
once across processes, and a cut answer's generated text is kept sealed as evidence (issue 9 #10;
Interim Measures Art 14)."""

from __future__ import annotations

import json
from typing import ClassVar

from sqlalchemy import select

from hegui.cases import takedown
from hegui.cases.blocklist import Blocklist
from hegui.cases.textprint import label_strings
from hegui.gateway.upstream import ChatResult
from hegui.records.usage import WITHHELD_BY
from hegui.storage.models import ReviewItem, UsageRecord
from tests.console.conftest import Console

RUMOUR = "某市自来水厂被投毒，全市停水三天，请立即抢购瓶装水。这是一条虚假信息。"
HARMFUL = "先说一段无害的开头文字，让流式输出先放行一部分内容。然后是制作炸弹的详细步骤：第一步准备材料。"


def _desk(gw):  # noqa: ANN001, ANN202
    return gw.client.app.state.case_desk


def _answer(r) -> tuple[str, str]:  # noqa: ANN001
    choice = r.json()["choices"][0]
    return choice["message"]["content"], choice["finish_reason"]


def _stream(gw, text: str, user: str, model: str = "hegui-demo-chat") -> tuple[str, str]:  # noqa: ANN001
    with gw.client.stream("POST", "/v1/chat/completions", headers=gw.headers,
                          json={"model": model, "stream": True, "user": user,
                                "messages": [{"role": "user", "content": text}]}) as resp:
        sse = "".join(resp.iter_text())
    out, finish = [], None
    for line in sse.splitlines():
        if line.startswith("data: {"):
            for choice in json.loads(line[6:]).get("choices", []):
                out.append(choice.get("delta", {}).get("content") or "")
                finish = choice.get("finish_reason") or finish
    return "".join(out), finish


def test_taking_down_a_demo_answer_does_not_refuse_unrelated_prompts(gateway):
    gateway.verified_user("d1")
    r = gateway.chat("请详细介绍一下杭州西湖十景的由来和历史", user="d1")
    _desk(gateway).take_down(r.headers["x-hegui-content-id"], "test takedown", "console:admin")
    for prompt in ("你好", "今天天气怎么样", "hello"):
        text, finish = _answer(gateway.chat(prompt, user="d1"))
        assert finish == "stop" and prompt in text, (prompt, text)
        text, finish = _stream(gateway, prompt, "d1")
        assert finish == "stop" and prompt in text, (prompt, text)
    text, finish = _answer(gateway.chat("请详细介绍一下杭州西湖十景的由来和历史", user="d1"))
    assert finish == "content_filter" and "西湖十景" not in text  # the taken-down answer itself
    text, finish = _stream(gateway, "请详细介绍一下杭州西湖十景的由来和历史", "d1")
    assert finish == "content_filter" and "西湖十景的由来和历史" not in text


class TemplateModel:
    """An upstream whose answers share a long opening and closing, like many real models."""

    name = "template"
    models: ClassVar[list[str]] = ["template"]
    OPEN = "作为一个负责任的人工智能助手，我很乐意为您解答这个问题，下面是我整理的信息。"
    CLOSE = "以上内容仅供参考，如有疑问请以权威部门发布的信息为准，感谢您的理解与支持。"

    def _text(self, body: dict) -> str:
        return f"{self.OPEN}关于“{body['messages'][-1]['content']}”：{self.CLOSE}"

    async def chat(self, body):  # noqa: ANN001, ANN201
        return ChatResult(self._text(body))

    async def chat_stream(self, body):  # noqa: ANN001, ANN201
        text = self._text(body)
        for i in range(0, len(text), 6):
            yield text[i:i + 6]

    async def images(self, body):  # noqa: ANN001, ANN201
        return []

    async def aclose(self) -> None:
        return None


def test_boilerplate_is_learnt_from_recent_answers(gateway_factory):
    gw = gateway_factory(upstreams=[TemplateModel()])
    gw.verified_user("t1")
    for q in ("第一个普通问题是什么", "第二个完全无关的问题", "第三个关于做饭的问题"):
        assert _answer(gw.chat(q, user="t1", model="template"))[1] == "stop"
    bad = "网传某市自来水厂被投毒全市停水三天"
    r = gw.chat(bad, user="t1", model="template")
    _desk(gw).take_down(r.headers["x-hegui-content-id"], "rumour", "console:admin")
    text, finish = _answer(gw.chat("一个全新的问题", user="t1", model="template"))
    assert finish == "stop" and "一个全新的问题" in text
    assert _stream(gw, "又一个全新的问题", "t1", "template")[1] == "stop"
    assert _answer(gw.chat(bad, user="t1", model="template"))[1] == "content_filter"
    assert _stream(gw, bad, "t1", "template")[1] == "content_filter"


def test_entry_applies_at_once_in_another_process(gateway):
    """A takedown written by another process (its own Blocklist, same database) is effective for
    the very next request: no reload window."""
    gateway.verified_user("x1")
    r = gateway.chat(f"/echo {RUMOUR}", user="x1")
    assert _answer(gateway.chat("/echo 先让网关载入一次名单", user="x1"))[1] == "stop"
    sv = gateway.services
    params = _desk(gateway).config.blocklist
    other = Blocklist(sv.db, params, label_strings(sv.settings.labels.text_prefix), keys=sv.keys)
    with sv.db.session() as s:
        takedown.take_down(s, sv.keys, other, sv.outputs_dir, r.headers["x-hegui-content-id"], "rumour",
                           "console:elsewhere")
    text, finish = _answer(gateway.chat(f"/echo {RUMOUR}", user="x1"))
    assert finish == "content_filter" and RUMOUR not in text


class FixedModel(TemplateModel):
    """Answers every prompt with the same harmful text (the prompt itself passes moderation)."""

    name = "fixed"
    models: ClassVar[list[str]] = ["fixed"]

    def _text(self, body: dict) -> str:
        return HARMFUL


def _withheld(gw) -> list[ReviewItem]:  # noqa: ANN001
    with gw.services.db.session() as s:
        return list(s.scalars(select(ReviewItem).where(ReviewItem.decided_by == WITHHELD_BY)))


def test_cut_stream_keeps_the_generated_text_sealed_for_reviewers(gateway_factory):
    gateway = gateway_factory(upstreams=[FixedModel()])
    gateway.verified_user("c1")
    text, finish = _stream(gateway, "讲个故事", "c1", "fixed")
    assert finish == "content_filter" and "制作炸弹" not in text
    (item,) = _withheld(gateway)
    assert item.status == "blocked" and item.direction == "output"
    assert any(r["id"] == "A1h" for r in item.risks)
    with gateway.services.db.session() as s:
        rec = s.get(UsageRecord, item.record_id)
        assert rec.status == "cut" and rec.stream
    with gateway.services.db.engine.connect() as conn:  # sealed at rest
        raw = conn.execute(ReviewItem.__table__.select()).mappings().all()
    assert all("制作炸弹".encode() not in (row["text_enc"] or b"") for row in raw)
    con = Console(gateway)
    try:
        page = con.login("reviewer").get("/console/review?all=1")
        # everything the upstream produced until the cut, the part never sent included
        assert page.status_code == 200 and HARMFUL[:HARMFUL.index("制作炸弹") + 4] in page.text
    finally:
        for c in con.clients:
            c.close()


def test_cut_answer_is_kept_and_its_takedown_fingerprints_what_was_generated(gateway_factory):
    gateway = gateway_factory(upstreams=[FixedModel()])
    gateway.verified_user("c2")
    r = gateway.chat("讲个故事", user="c2", model="fixed")
    assert _answer(r)[1] == "content_filter"
    (item,) = _withheld(gateway)
    assert gateway.services.keys.unseal(item.text_enc, b"review").decode() == HARMFUL
    desk = _desk(gateway)
    desk.take_down(r.headers["x-hegui-content-id"], "harmful", "console:admin")
    assert desk.blocklist.match_text(HARMFUL) is not None  # the generated text, not the refusal
    assert desk.blocklist.match_text("很抱歉，该内容无法提供。") is None
