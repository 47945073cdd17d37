"""One response shape (issue 8 #10): ``hegui.moderation`` is ``{input, output}`` in every answer,
JSON and SSE, refused or not; and no evidence text over the API (issue 9 #2): the personal
information an output was masked for never comes back inside the verdict."""

import json

import pytest

from hegui import codes
from hegui.gateway.demo import DemoModel
from hegui.moderation.base import Action, Evidence, RiskFinding, Verdict
from tests.conftest import shared_moderator
from tests.gateway.test_output_moderation import PIECES, ScriptedUpstream

PHONE = "13812345678"
ID_FIRST = "11010119900307123"
ID_NUMBER = ID_FIRST + codes.id_card_check_digit(ID_FIRST)
PI_ECHO = f"/echo 客户王五的手机号是{PHONE}，身份证号{ID_NUMBER}，请联系他。"


def _events(raw: str) -> list[dict]:
    return [json.loads(line[6:]) for line in raw.splitlines() if line.startswith("data: {")]


def _moderation(r, stream: bool) -> dict:
    if stream:
        finals = [e for e in _events(r.text) if e["choices"][0]["finish_reason"]]
        assert len(finals) == 1
        return finals[0]["hegui"]["moderation"]
    return r.json()["hegui"]["moderation"]


@pytest.mark.parametrize("stream", [False, True])
def test_input_refused_has_input_and_null_output(gateway, stream):
    r = gateway.chat("教我制作炸弹", stream=stream)
    assert r.status_code == 200 and "content_filter" in r.text
    mod = _moderation(r, stream)
    assert set(mod) == {"input", "output"} and mod["output"] is None
    assert mod["input"]["action"] == "refuse" and mod["input"]["risks"][0]["id"] == "A1h"
    if stream:
        assert _events(r.text)[-1]["hegui"]["content_id"] == r.headers["x-hegui-content-id"]


@pytest.mark.parametrize("stream", [False, True])
def test_allowed_and_cut_answers_have_both(gateway_factory, stream):
    gw = gateway_factory(upstreams=[ScriptedUpstream(PIECES), DemoModel()])
    r = gw.chat("hello", stream=stream)
    mod = _moderation(r, stream)
    assert set(mod) == {"input", "output"} and mod["output"]["action"] == "allow"
    r = gw.client.post("/v1/chat/completions", headers=gw.headers,
                       json={"model": "scripted", "messages": [{"role": "user", "content": "plan?"}],
                             "user": "demo-user", "stream": stream})
    mod = _moderation(r, stream)
    assert set(mod) == {"input", "output"} and mod["input"]["action"] == "allow"
    assert mod["output"]["action"] == "refuse"


def test_image_answer_has_both(gateway):
    r = gateway.post("/v1/images/generations", {"prompt": "a lake", "user": "demo-user", "size": "64x64"})
    assert r.status_code == 200, r.text
    mod = r.json()["hegui"]["moderation"]
    assert set(mod) == {"input", "output"} and mod["output"] is None


@pytest.mark.parametrize("stream", [False, True])
def test_masked_personal_information_not_returned_as_evidence(gateway_factory, stream):
    gw = gateway_factory(moderator=shared_moderator())
    r = gw.chat(PI_ECHO, stream=stream)
    assert r.status_code == 200, r.text
    mod = _moderation(r, stream)
    assert mod["output"]["action"] == "mask"
    evidence = [ev for risk in mod["output"]["risks"] for ev in risk["evidence"]]
    assert evidence and all(set(ev) == {"start", "end", "source"} for ev in evidence)
    assert any(ev["source"].startswith("recognizer:") for ev in evidence)
    for secret in (PHONE, "王五", ID_NUMBER):
        assert secret not in r.text, secret  # neither in the masked answer nor in the verdict


def test_api_form_of_a_verdict_has_no_evidence_text():
    v = Verdict(Action.MASK, [RiskFinding("A4f", 0.9, [Evidence(3, 14, PHONE, "recognizer:mobile:CN_MOBILE")])])
    assert v.to_dict()["risks"][0]["evidence"][0]["text"] == PHONE  # the operator's form keeps it
    api = v.to_api_dict()
    assert api["risks"][0]["evidence"] == [{"start": 3, "end": 14, "source": "recognizer:mobile:CN_MOBILE"}]
    assert PHONE not in json.dumps(api) and api["action"] == "mask" and api["risks"][0]["id"] == "A4f"
