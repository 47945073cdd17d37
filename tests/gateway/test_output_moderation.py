"""Output moderation: unsafe upstream text is replaced; streams are cut with a template and
nothing unchecked reaches the client (holdback window)."""

import json

from sqlalchemy import select

from hegui.gateway.upstream import ChatResult
from hegui.moderation.base import Direction
from hegui.moderation.simple import TermListModerator
from hegui.moderation.stream import HoldbackStreamChecker
from hegui.storage.models import ReviewItem, UsageRecord


class ScriptedUpstream:
    name = "scripted"
    models = ["scripted"]

    def __init__(self, pieces):
        self.pieces = pieces

    async def chat(self, body):
        return ChatResult("".join(self.pieces))

    async def chat_stream(self, body):
        for p in self.pieces:
            yield p

    async def images(self, body):
        return []

    async def aclose(self):
        return None


PIECES = ["Here is the plan. ", "Step one: forb", "idden-te", "rm details follow ", "and more text."]


def _sse_text(raw: str):
    text, finish = [], None
    for line in raw.splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            obj = json.loads(line[6:])
            ch = obj["choices"][0]
            text.append(ch["delta"].get("content") or "")
            finish = ch["finish_reason"] or finish
    return "".join(text), finish


def test_non_stream_output_refused(gateway_factory):
    gw = gateway_factory(upstreams=[ScriptedUpstream(PIECES)])
    r = gw.client.post("/v1/chat/completions", headers=gw.headers,
                       json={"model": "scripted", "messages": [{"role": "user", "content": "plan?"}], "user": "demo-user"})
    body = r.json()
    assert body["choices"][0]["finish_reason"] == "content_filter"
    assert "forbidden-term" not in body["choices"][0]["message"]["content"]
    assert body["choices"][0]["message"]["content"].startswith("【AI生成】很抱歉")


def test_stream_cut_across_chunk_boundary(gateway_factory):
    gw = gateway_factory(upstreams=[ScriptedUpstream(PIECES)])
    r = gw.client.post("/v1/chat/completions", headers=gw.headers,
                       json={"model": "scripted", "messages": [{"role": "user", "content": "plan?"}],
                             "user": "demo-user", "stream": True})
    text, finish = _sse_text(r.text)
    assert finish == "content_filter"
    assert "forb" not in text.split("很抱歉")[0]  # no fragment of the term was released before the cut
    assert "Here is the plan" in text and "很抱歉" in text and "and more text" not in text
    with gw.services.db.session() as s:
        rec = s.scalar(select(UsageRecord).where(UsageRecord.content_id == r.headers["x-hegui-content-id"]))
    assert rec.status == "cut" and rec.output_action == "refuse" and any(x["id"] == "A1f" for x in rec.risks)


def test_holdback_never_releases_unchecked_text():
    mod = TermListModerator({"abcdef": "A1f"})
    checker = HoldbackStreamChecker(mod, Direction.OUTPUT, holdback=6, overlap=6)
    released = ""
    for ch in "xxxxxxxxabcde":
        released += checker.feed(ch).release
    assert "abcde" not in released
    d = checker.feed("f")
    assert d.stopped and d.verdict.message_zh
    assert "abcde" not in released + d.release


def test_flag_goes_to_review_queue(gateway_factory):
    from hegui.moderation.base import Action

    gw = gateway_factory(moderator=TermListModerator({"borderline": "A2e"}, action=Action.FLAG))
    r = gw.chat("a borderline question")
    assert r.status_code == 200 and r.json()["choices"][0]["finish_reason"] == "stop"
    with gw.services.db.session() as s:
        items = s.scalars(select(ReviewItem)).all()
    assert len(items) == 2 and {i.direction for i in items} == {"input", "output"}  # demo echoes the question
