"""Every forwarded string the model reads is moderated (issue 9 #1): tools, names, tool calls,
tool results, response schemas; inputs the gateway cannot moderate (images, audio, files) and
out-of-range sampling parameters are refused with a zh/en 400 and never reach the upstream."""

import pytest
from sqlalchemy import select

from hegui.gateway.upstream import ChatResult
from hegui.storage.models import UsageContent, UsageRecord

BAD = "forbidden-term"  # refused by the tests' term moderator (tests/conftest.py)


class RecordingUpstream:
    """Answers "ok" and remembers every body it was sent."""

    name = "recording"
    models = ["recording"]

    def __init__(self):
        self.bodies = []

    async def chat(self, body):
        self.bodies.append(body)
        return ChatResult("ok")

    async def chat_stream(self, body):
        self.bodies.append(body)
        yield "ok"

    async def images(self, body):
        return []

    async def aclose(self):
        return None


def _fn(**function):
    return {"type": "function", "function": {"name": "lookup", **function}}


SCHEMA = {"type": "object", "properties": {"q": {"type": "string", "description": f"say {BAD}"}}}
ENUM_SCHEMA = {"type": "object", "properties": {"q": {"type": "string", "enum": ["fine", BAD]}}}
CALL = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "' + BAD + '"}'}}

# (extra top-level fields, messages before the benign user turn)
SMUGGLED = {
    "tool description": ({"tools": [_fn(description=f"Always {BAD}")]}, []),
    "tool name": ({"tools": [{"type": "function", "function": {"name": BAD}}]}, []),
    "tool parameter description": ({"tools": [_fn(parameters=SCHEMA)]}, []),
    "tool parameter enum": ({"tools": [_fn(parameters=ENUM_SCHEMA)]}, []),
    "message name": ({}, [{"role": "user", "name": BAD, "content": "hello"}]),
    "tool call arguments": ({}, [{"role": "assistant", "content": None, "tool_calls": [CALL]}]),
    "tool result": ({}, [{"role": "assistant", "content": None, "tool_calls": [{**CALL, "function": {
        "name": "lookup", "arguments": "{}"}}]}, {"role": "tool", "tool_call_id": "call_1",
                                                  "content": [{"type": "text", "text": BAD}]}]),
    "response schema name": ({"response_format": {"type": "json_schema", "json_schema": {
        "name": BAD, "schema": {"type": "object"}}}}, []),
    "response schema description": ({"response_format": {"type": "json_schema", "json_schema": {
        "name": "answer", "description": BAD, "schema": {"type": "object"}}}}, []),
    "response schema property": ({"response_format": {"type": "json_schema", "json_schema": {
        "name": "answer", "schema": SCHEMA}}}, []),
    "tool choice": ({"tool_choice": {"type": "function", "function": {"name": BAD}}}, []),
}


def _post(gw, body, stream=False):
    base = {"model": "recording", "user": "demo-user", "stream": stream}
    return gw.client.post("/v1/chat/completions", headers=gw.headers, json={**base, **body})


def _last_record(gw):
    with gw.services.db.session() as s:
        rec = s.scalars(select(UsageRecord).order_by(UsageRecord.created_at.desc())).first()
        content = s.get(UsageContent, rec.id)
        prompt = gw.services.writer.read_content(content)[0] if content is not None else ""
        return rec, prompt


@pytest.mark.parametrize("where", list(SMUGGLED))
@pytest.mark.parametrize("stream", [False, True])
def test_smuggled_text_is_moderated(gateway_factory, where, stream):
    up = RecordingUpstream()
    gw = gateway_factory(upstreams=[up])
    extra, before = SMUGGLED[where]
    r = _post(gw, {**extra, "messages": [*before, {"role": "user", "content": "what is the weather?"}]}, stream)
    assert r.status_code == 200, r.text
    assert "content_filter" in r.text and up.bodies == []  # refused; nothing reached the upstream
    rec, prompt = _last_record(gw)
    assert rec.status == "refused" and rec.input_action == "refuse"
    assert BAD in prompt and "what is the weather?" in prompt  # the record holds what was moderated


def test_moderated_text_labels_fields_and_keeps_plain_prompts_plain(gateway_factory):
    up = RecordingUpstream()
    gw = gateway_factory(upstreams=[up])
    r = _post(gw, {"messages": [{"role": "user", "content": "hi"}],
                   "tools": [_fn(description="finds weather", parameters=SCHEMA | {"properties": {}})]})
    assert r.status_code == 200 and len(up.bodies) == 1
    prompt = _last_record(gw)[1]
    assert prompt.startswith("hi\n") and "[tools[0].function.description] finds weather" in prompt
    r = _post(gw, {"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]})
    assert _last_record(gw)[1] == "be brief\nhi"


@pytest.mark.parametrize("part", [
    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
    {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
    {"type": "file", "file": {"file_data": "data:application/pdf;base64,AAAA"}},
])
def test_unmoderatable_parts_refused(gateway_factory, part):
    up = RecordingUpstream()
    gw = gateway_factory(upstreams=[up])
    r = _post(gw, {"messages": [{"role": "user", "content": [{"type": "text", "text": "look"}, part]}]})
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "INPUT_NOT_MODERATABLE" and "审核" in err["message_zh"] and "moderate" in err["message_en"]
    assert "messages[0].content[1]" in err["message_en"]
    assert up.bodies == []
    rec, _ = _last_record(gw)
    assert rec.status == "error" and rec.error_code == "INPUT_NOT_MODERATABLE"


@pytest.mark.parametrize("field,value", [
    ("max_tokens", -5), ("max_tokens", "lots"), ("max_tokens", 1e30), ("max_tokens", 0), ("max_tokens", True),
    ("max_completion_tokens", -5), ("max_completion_tokens", 2.5), ("n", 2), ("n", "lots"), ("n", 0),
    ("temperature", -5), ("temperature", "lots"), ("temperature", 1e30), ("top_p", 1.5), ("top_p", "x"),
    ("presence_penalty", 9), ("frequency_penalty", "x"), ("seed", 1.5), ("stop", 5), ("stop", ["a"] * 5),
    ("logit_bias", {"50256": 1e9}), ("logit_bias", []), ("stream", "yes"),
    ("tools", "x"), ("tools", [{"type": "function"}]), ("response_format", "json"), ("user", 5),
])
def test_bad_parameters_refused(gateway_factory, field, value):
    up = RecordingUpstream()
    gw = gateway_factory(upstreams=[up])
    r = _post(gw, {"messages": [{"role": "user", "content": "hi"}], field: value})
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "INVALID_INPUT" and field in err["message_en"] and field in err["message_zh"]
    assert "Traceback" not in r.text and up.bodies == []
    rec, _ = _last_record(gw)
    assert rec.status == "error" and rec.error_code == "INVALID_INPUT"


def test_good_parameters_forwarded(gateway_factory):
    up = RecordingUpstream()
    gw = gateway_factory(upstreams=[up])
    params = {"max_tokens": 100, "max_completion_tokens": 100, "n": 1, "temperature": 0.7, "top_p": 1,
              "presence_penalty": -1.5, "frequency_penalty": 0, "seed": 42, "stop": ["\n\n"],
              "logit_bias": {"50256": -100}}
    r = _post(gw, {"messages": [{"role": "user", "content": "hi"}], **params})
    assert r.status_code == 200, r.text
    assert {k: up.bodies[0][k] for k in params} == params


@pytest.mark.parametrize("content", [
    [{"type": "text", "text": {}}],
    [{"type": "text"}],
    [{"text": "no type"}],
    ["bare string"],
    [{"type": "mystery", "data": "x"}],
])
def test_bad_content_parts_are_400(gateway_factory, content):
    up = RecordingUpstream()
    gw = gateway_factory(upstreams=[up])
    r = _post(gw, {"messages": [{"role": "user", "content": content}]})
    assert r.status_code in (400,), r.text
    err = r.json()["error"]
    assert err["code"] in ("INVALID_INPUT", "INPUT_NOT_MODERATABLE") and "messages[0].content[0]" in err["message_en"]
    assert up.bodies == []


def test_bad_message_fields_are_400(gateway_factory):
    up = RecordingUpstream()
    gw = gateway_factory(upstreams=[up])
    for msg in ({"role": "user", "content": "hi", "name": 5},
                {"role": "assistant", "content": None, "tool_calls": "x"},
                {"role": "assistant", "content": None, "tool_calls": [{"function": {"arguments": {}}}]},
                {"role": "wizard", "content": "hi"}):
        r = _post(gw, {"messages": [msg]})
        assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_INPUT", (msg, r.text)
    assert up.bodies == []
