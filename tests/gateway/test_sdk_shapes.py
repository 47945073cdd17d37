"""The official ``openai`` SDK parses every shape hegui returns: chat (whole and streamed), images
(``url`` by default, as OpenAI; ``b64_json`` when asked), models, and errors — each error as the
SDK's own exception class, with the request id the ``X-Request-Id`` header carries.

Extends test_openai_sdk.py (labels, content ids, the identity gate) with the shapes themselves.
"""

from __future__ import annotations

import base64
import io

import httpx
import openai
import pytest
from PIL import Image

from hegui.labeling import read_label
from tests.gateway.conftest import sdk_for


def _assert_request_id(err: openai.APIStatusError) -> str:
    """The id is in the header (``err.request_id``) and the same in the body."""
    rid = err.request_id
    assert rid and rid.startswith("req-")
    assert isinstance(err.body, dict) and err.body["request_id"] == rid
    return rid


# -- chat ------------------------------------------------------------------------------------------
def test_chat_completion_parses_as_the_sdk_types(sdk):
    raw = sdk.chat.completions.with_raw_response.create(
        model="hegui-demo-chat", user="demo-user", messages=[{"role": "user", "content": "hello"}])
    resp = raw.parse()
    assert isinstance(resp, openai.types.chat.ChatCompletion)
    assert resp.object == "chat.completion" and resp.model == "hegui-demo-chat"
    choice = resp.choices[0]
    assert choice.index == 0 and choice.finish_reason == "stop" and choice.message.role == "assistant"
    assert choice.message.content and resp.usage is not None and resp.usage.total_tokens >= 0
    assert raw.headers["x-request-id"].startswith("req-")


def test_chat_stream_chunks_parse_and_end_with_a_finish_reason(sdk):
    stream = sdk.chat.completions.create(model="hegui-demo-chat", user="demo-user", stream=True,
                                         messages=[{"role": "user", "content": "hello there"}])
    chunks = list(stream)
    assert chunks and all(isinstance(c, openai.types.chat.ChatCompletionChunk) for c in chunks)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]


def test_moderation_refusal_is_a_content_filter_answer(sdk):
    """A refused prompt is an answer, not an error: OpenAI's ``finish_reason="content_filter"``,
    the refusal text labelled, and hegui's verdict in the extra field."""
    resp = sdk.chat.completions.create(model="hegui-demo-chat", user="demo-user",
                                       messages=[{"role": "user", "content": "forbidden-term please"}])
    choice = resp.choices[0]
    assert choice.finish_reason == "content_filter"
    assert choice.message.content.startswith("【AI生成】") and "A1f" in choice.message.content
    assert resp.model_extra["hegui"]["moderation"]["input"]["action"] == "refuse"
    stream = sdk.chat.completions.create(model="hegui-demo-chat", user="demo-user", stream=True,
                                         messages=[{"role": "user", "content": "forbidden-term please"}])
    finishes = [c.choices[0].finish_reason for c in stream if c.choices and c.choices[0].finish_reason]
    assert finishes == ["content_filter"]


def test_refused_image_prompt_is_a_bad_request(sdk):
    with pytest.raises(openai.BadRequestError) as e:
        sdk.images.generate(model="hegui-demo-image", prompt="a poster: forbidden-term", user="demo-user")
    assert e.value.code == "CONTENT_REFUSED" and e.value.type == "invalid_request_error"
    _assert_request_id(e.value)


# -- images ----------------------------------------------------------------------------------------
def test_image_defaults_to_a_fetchable_labelled_url(gateway, sdk):
    resp = sdk.images.generate(model="hegui-demo-image", prompt="a quiet lake at dawn", size="256x256",
                               user="demo-user")
    item = resp.data[0]
    assert item.b64_json is None and item.url and item.url.startswith("http://testserver/v1/outputs/hgc-")
    got = gateway.client.get(item.url)  # no API key: the URL itself is the capability, as OpenAI's are
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(got.content)).size == (256, 256)
    found = read_label(got.content, filename="x.png")
    assert found.label is not None and found.label.ProduceID == resp.model_extra["hegui"]["content_id"]
    guessed = item.url.rsplit("/", 1)[0] + "/hgc-" + "0" * 32 + ".png"
    assert gateway.client.get(guessed).status_code == 404


def test_image_b64_json_when_asked_and_n_urls(gateway, sdk):
    resp = sdk.images.generate(model="hegui-demo-image", prompt="a red kite", size="64x64", n=2,
                               user="demo-user", response_format="b64_json")
    assert len(resp.data) == 2 and all(d.url is None and d.b64_json for d in resp.data)
    ids = [read_label(base64.b64decode(d.b64_json), filename="x.png").label.ProduceID for d in resp.data]
    assert ids[0] != ids[1] and ids[1].startswith(ids[0])  # hgc-… and hgc-….1
    urls = sdk.images.generate(model="hegui-demo-image", prompt="a red kite", size="64x64", n=2,
                               user="demo-user").data
    assert [u.url.rsplit("/", 1)[1] for u in urls][1].endswith(".1.png")
    assert all(gateway.client.get(u.url).status_code == 200 for u in urls)


def test_unknown_response_format_is_refused(sdk):
    with pytest.raises(openai.BadRequestError) as e:
        sdk.images.generate(model="hegui-demo-image", prompt="a lake", user="demo-user",
                            response_format="jpeg")  # type: ignore[arg-type]
    assert "response_format" in e.value.body["message_en"]
    _assert_request_id(e.value)


# -- models ----------------------------------------------------------------------------------------
def test_models_list_and_retrieve(sdk):
    models = list(sdk.models.list())
    assert all(isinstance(m, openai.types.Model) and m.object == "model" and m.owned_by for m in models)
    assert {"hegui-demo-chat", "hegui-demo-image"} <= {m.id for m in models}
    one = sdk.models.retrieve("hegui-demo-chat")
    assert one.id == "hegui-demo-chat" and one.object == "model"
    with pytest.raises(openai.NotFoundError) as e:
        sdk.models.retrieve("no-such-model")
    assert e.value.code == "NOT_FOUND"
    _assert_request_id(e.value)


# -- errors ----------------------------------------------------------------------------------------
def test_bad_key_is_an_authentication_error_with_a_request_id(gateway):
    bad = sdk_for(gateway, api_key="sk-not-a-real-key")
    with pytest.raises(openai.AuthenticationError) as e:
        bad.chat.completions.create(model="hegui-demo-chat", messages=[{"role": "user", "content": "hi"}])
    assert e.value.status_code == 401 and e.value.code == "UNAUTHENTICATED"
    assert e.value.type == "authentication_error"
    _assert_request_id(e.value)
    with pytest.raises(openai.AuthenticationError) as e2:
        bad.models.list()
    assert _assert_request_id(e2.value) != e.value.request_id  # one id per request


def test_bad_body_is_a_bad_request(sdk):
    with pytest.raises(openai.BadRequestError) as e:
        sdk.chat.completions.create(model="hegui-demo-chat", user="demo-user", messages=[])
    assert e.value.status_code == 400 and e.value.code == "INVALID_INPUT"
    assert e.value.body["message_zh"] and e.value.body["message_en"]
    _assert_request_id(e.value)


def test_unknown_model_is_not_found(sdk):
    with pytest.raises(openai.NotFoundError) as e:
        sdk.chat.completions.create(model="nope", user="demo-user", messages=[{"role": "user", "content": "hi"}])
    rid = _assert_request_id(e.value)
    assert e.value.response.headers["x-request-id"] == rid


def test_rate_limit_is_a_rate_limit_error(gateway_factory):
    gw = gateway_factory(throttle={"api_key_requests": {"limit": 2, "window_seconds": 60}})
    sdk = sdk_for(gw)
    sdk.models.list()
    sdk.models.list()
    with pytest.raises(openai.RateLimitError) as e:
        sdk.models.list()
    assert e.value.status_code == 429 and e.value.type == "rate_limit_error"
    assert int(e.value.response.headers["retry-after"]) > 0
    _assert_request_id(e.value)


def test_user_api_errors_carry_the_request_id(gateway, sdk):
    """The end-user API (``/v1/hegui/...``) answers errors in the same shape; through the SDK's
    generic ``post`` they raise the same exception classes."""
    with pytest.raises(openai.BadRequestError) as e:
        sdk.post("/hegui/users", body={"kind": "person"}, cast_to=httpx.Response)
    assert e.value.code == "INVALID_INPUT" and "'user'" in e.value.body["message_en"]
    _assert_request_id(e.value)
    with pytest.raises(openai.PermissionDeniedError) as e:
        sdk.get("/hegui/users/never-registered", cast_to=httpx.Response)
    assert e.value.code == "USER_NOT_REGISTERED"
    _assert_request_id(e.value)
    with pytest.raises(openai.AuthenticationError) as e:
        sdk_for(gateway, api_key="sk-wrong").post("/hegui/users", body={"user": "x"}, cast_to=httpx.Response)
    _assert_request_id(e.value)
