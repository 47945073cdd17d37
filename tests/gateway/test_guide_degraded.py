"""The gateway and a guide verdict (正向引导): the guidance reaches the upstream as the first system
message and the answer is checked strictly; degraded verdicts are counted and fail closed; the
obligations register reports unavailable and disabled components (issue 8)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import ClassVar

import pytest
from sqlalchemy import select

from hegui.gateway.metrics import MODERATION_DEGRADED
from hegui.gateway.upstream import ChatResult
from hegui.moderation.engine import PolicyModerator
from hegui.obligations.register import CHECKS, Status
from hegui.storage.models import UsageRecord
from tests.gateway.test_output_moderation import _sse_text

GUIDED = "河南人都是骗子"  # A2d by the lexicon (0.85): guided, not refused
NEUTRAL = "请介绍一下杭州西湖的历史"
MILD_ANSWER = "这部电影里有一些血腥暴力的镜头，不适合小孩。"  # A1f severity 1 (0.6): flag, or refuse if strict


class RecordingUpstream:
    name = "recording"
    models: ClassVar[list[str]] = ["recording"]

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.bodies: list[dict] = []

    async def chat(self, body):  # noqa: ANN001, ANN201
        self.bodies.append(body)
        return ChatResult(self.answer)

    async def chat_stream(self, body):  # noqa: ANN001, ANN201
        self.bodies.append(body)
        for i in range(0, len(self.answer), 4):
            yield self.answer[i:i + 4]

    async def images(self, body):  # noqa: ANN001, ANN201
        return []

    async def aclose(self) -> None:
        return None


@pytest.fixture(scope="module")
def lexicon_engine() -> PolicyModerator:
    return PolicyModerator.load(classifier=None, recognizers=None, auto_reload_s=None)


def _ask(gw, text: str, stream: bool = False):  # noqa: ANN001, ANN202
    body = {"model": "recording", "messages": [{"role": "user", "content": text}], "user": "demo-user"}
    if stream:
        body["stream"] = True
    return gw.client.post("/v1/chat/completions", headers=gw.headers, json=body)


def _record(gw, content_id: str) -> UsageRecord:  # noqa: ANN001
    with gw.services.db.session() as s:
        return s.scalar(select(UsageRecord).where(UsageRecord.content_id == content_id))


def test_guided_request_gets_the_system_message_first(gateway_factory, lexicon_engine) -> None:  # noqa: ANN001
    up = RecordingUpstream("各地的人都有好有坏，不应以地域评判个人。")
    gw = gateway_factory(moderator=lexicon_engine, upstreams=[up])
    r = _ask(gw, GUIDED)
    body = r.json()
    assert body["choices"][0]["finish_reason"] == "stop", body
    sent = up.bodies[0]["messages"]
    assert sent[0]["role"] == "system" and "地域" in sent[0]["content"] and "regional" in sent[0]["content"]
    assert sent[1] == {"role": "user", "content": GUIDED}
    mod = body["hegui"]["moderation"]
    assert mod["input"]["action"] == "guide" and mod["input"]["guidance"][0]["risk"] == "A2d"
    rec = _record(gw, body["id"])
    assert rec.input_action == "guide" and rec.status == "ok"


def test_unguided_request_is_sent_unchanged(gateway_factory, lexicon_engine) -> None:  # noqa: ANN001
    up = RecordingUpstream("西湖位于杭州。")
    gw = gateway_factory(moderator=lexicon_engine, upstreams=[up])
    _ask(gw, NEUTRAL)
    assert up.bodies[0]["messages"] == [{"role": "user", "content": NEUTRAL}]


@pytest.mark.parametrize("stream", [False, True])
def test_answer_to_a_guided_request_is_checked_strictly(gateway_factory, lexicon_engine, stream: bool) -> None:  # noqa: ANN001
    up = RecordingUpstream(MILD_ANSWER)
    gw = gateway_factory(moderator=lexicon_engine, upstreams=[up])
    plain = _ask(gw, NEUTRAL, stream)  # the same answer to an ordinary request: flagged, delivered
    guided = _ask(gw, GUIDED, stream)
    if stream:
        (text_plain, fin_plain), (text_guided, fin_guided) = _sse_text(plain.text), _sse_text(guided.text)
        last = [json.loads(x[6:]) for x in guided.text.splitlines() if x.startswith("data: {")][-1]
        out_action = last["hegui"]["moderation"]["output"]["action"]
    else:
        text_plain, fin_plain = plain.json()["choices"][0]["message"]["content"], plain.json()["choices"][0]["finish_reason"]
        text_guided, fin_guided = guided.json()["choices"][0]["message"]["content"], guided.json()["choices"][0]["finish_reason"]
        out_action = guided.json()["hegui"]["moderation"]["output"]["action"]
    assert fin_plain == "stop" and "血腥暴力" in text_plain
    assert fin_guided == "content_filter" and "血腥暴力" not in text_guided and out_action == "refuse"


class Broken:
    head_risks: ClassVar[dict] = {}

    def score(self, text: str) -> dict:
        raise RuntimeError("classifier crashed")


def _degraded_count() -> float:
    return MODERATION_DEGRADED.labels("classifier")._value.get()


def test_degraded_verdict_refused_and_counted(gateway_factory) -> None:  # noqa: ANN001
    engine = PolicyModerator.load(classifier=Broken(), recognizers=None, auto_reload_s=None)
    up = RecordingUpstream("西湖位于杭州。")
    token = "degraded-metrics-token-01"
    gw = gateway_factory(moderator=engine, upstreams=[up], server={"metrics_token": token})
    before = _degraded_count()
    body = _ask(gw, NEUTRAL).json()
    assert body["choices"][0]["finish_reason"] == "content_filter" and not up.bodies
    mod = body["hegui"]["moderation"]  # {input, output}: the input was refused, so no output verdict
    assert mod["input"]["degraded"] == ["classifier"] and mod["input"]["action"] == "refuse" and mod["output"] is None
    assert _degraded_count() == before + 1
    scrape = gw.client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).text
    assert 'hegui_moderation_degraded_total{component="classifier"}' in scrape


def _finding(moderator: object):  # noqa: ANN202
    return CHECKS["moderation_engine"](SimpleNamespace(moderator=moderator))


def test_register_reports_unavailable_and_failing_components(monkeypatch: pytest.MonkeyPatch) -> None:
    from hegui.moderation import classifier

    def boom(cls: type) -> None:
        raise OSError("default.npz missing")

    monkeypatch.setattr(classifier.Classifier, "load_default", classmethod(boom))
    f = _finding(PolicyModerator.load(recognizers=None, auto_reload_s=None))
    assert f.status is Status.NOT_MET and "classifier" in f.reason_en and "default.npz" in f.reason_en
    assert "不可用" in f.reason_zh
    failing = PolicyModerator.load(classifier=Broken(), recognizers=None, auto_reload_s=None)
    f = _finding(failing)  # the register's own self-test calls the classifier: it fails at once
    assert f.status is Status.NOT_MET and "degraded" in f.reason_en and "classifier" in f.reason_en
    f = _finding(failing)  # and the failing component is named from then on
    assert f.status is Status.NOT_MET and "classifier crashed" in f.reason_en


def test_register_self_test_needs_a_moderator_that_stops_the_probe() -> None:
    from hegui.moderation.base import Verdict

    class AllowsEverything:
        components: dict[str, str] = {}

        def check(self, text, direction, context=None):  # noqa: ANN001, ANN201
            return Verdict.allow("stub")

    f = _finding(AllowsEverything())
    assert f.status is Status.NOT_MET and "not stopped" in f.reason_en and "未被拦截" in f.reason_zh
    f = _finding(PolicyModerator.load(classifier=None, recognizers=None, auto_reload_s=None))
    assert f.status is Status.MET and "self-test passed" in f.reason_en


def test_register_warns_about_disabled_components() -> None:
    f = _finding(PolicyModerator.load(classifier=None, recognizers=None, auto_reload_s=None))
    assert f.status is Status.MET
    assert "warning" in f.reason_en and "classifier" in f.reason_en and "警告" in f.reason_zh


def _check_cli(tmp_path, extra: str = "") -> dict:  # noqa: ANN001
    from typer.testing import CliRunner

    from hegui.cli.main import app
    from hegui.obligations.register import load_register

    tmp_path.mkdir(parents=True, exist_ok=True)
    cfg = tmp_path / "hegui.toml"
    cfg.write_text(f'var_dir = "{tmp_path}/var"\n[storage]\nurl = "sqlite:///{tmp_path}/var/h.db"\n' + extra,
                   encoding="utf-8")
    r = CliRunner().invoke(app, ["check", "--json", "-c", str(cfg)])
    assert r.exit_code == 0, r.output
    ids = {d.id for d in load_register()[1] if d.check == "moderation_engine"}
    return {row["id"]: row for row in json.loads(r.output) if row["id"] in ids}


def test_hegui_check_reports_moderation_components(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    rows = _check_cli(tmp_path / "off", "[moderation]\nclassifier = false\n")
    assert rows and all(r["status"] == "met" and "warning" in r["reason_en"] for r in rows.values())
    from hegui.moderation import classifier

    def boom(cls: type) -> None:
        raise OSError("default.npz missing")

    monkeypatch.setattr(classifier.Classifier, "load_default", classmethod(boom))
    rows = _check_cli(tmp_path / "broken")
    assert rows and all(r["status"] == "not_met" and "default.npz" in r["reason_en"] for r in rows.values())
