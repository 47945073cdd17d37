"""Bad input and failing dependencies: OpenAI-style error JSON, stable code, zh/en, failure record."""


import httpx
import pytest
from sqlalchemy import select

from hegui.gateway.demo import DemoModel
from hegui.gateway.upstream import HttpUpstream
from hegui.settings import UpstreamSettings
from hegui.storage.models import UsageRecord


def _records(gw):
    with gw.services.db.session() as s:
        return s.scalars(select(UsageRecord).order_by(UsageRecord.created_at)).all()


def _assert_error(r, status, code):
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["message_zh"] and err["message_en"]
    assert "Traceback" not in r.text
    return err


@pytest.mark.parametrize("body,code", [
    (b"{not json", "INVALID_INPUT"),
    (b'{"model": "hegui-demo-chat", "messages": "x"}', "INVALID_INPUT"),
    (b"[1,2]", "INVALID_INPUT"),
    (b'{"model": "hegui-demo-chat", "messages": [{"role": "user", "content": "\xff\xfe"}]}', "INVALID_INPUT"),
])
def test_malformed_bodies(gateway, body, code):
    r = gateway.client.post("/v1/chat/completions", headers={**gateway.headers, "content-type": "application/json"},
                            content=body)
    _assert_error(r, 400, code)
    assert _records(gateway)[-1].status == "error" and _records(gateway)[-1].error_code == code


def test_oversized_body(gateway_factory):
    gw = gateway_factory(server={"max_body_bytes": 4096})
    r = gw.chat("字" * 5000)
    err = _assert_error(r, 413, "BODY_TOO_LARGE")
    assert "4096" in err["message_en"]


def test_unknown_model_and_bad_key(gateway):
    r = gateway.client.post("/v1/chat/completions", headers=gateway.headers,
                            json={"model": "gpt-nope", "messages": [{"role": "user", "content": "hi"}], "user": "demo-user"})
    _assert_error(r, 404, "NOT_FOUND")
    r = gateway.client.post("/v1/chat/completions", headers={"Authorization": "Bearer hg-wrong"},
                            json={"model": "hegui-demo-chat", "messages": []})
    _assert_error(r, 401, "UNAUTHENTICATED")
    r = gateway.client.get("/v1/models")
    _assert_error(r, 401, "UNAUTHENTICATED")


def _failing_upstream(handler):
    cfg = UpstreamSettings(name="flaky", base_url="http://upstream.test/v1", models=["flaky-model"],
                           timeout_seconds=0.5, retries=2)
    return HttpUpstream(cfg, transport=httpx.MockTransport(handler))


def test_upstream_5xx_retried_then_error(gateway_factory):
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(503, json={"error": "busy"})

    gw = gateway_factory(upstreams=[_failing_upstream(handler), DemoModel()])
    r = gw.client.post("/v1/chat/completions", headers=gw.headers,
                       json={"model": "flaky-model", "messages": [{"role": "user", "content": "hi"}], "user": "demo-user"})
    _assert_error(r, 502, "UPSTREAM_ERROR")
    assert len(calls) == 3  # first try + 2 retries
    assert _records(gw)[-1].error_code == "UPSTREAM_ERROR"


def test_upstream_recovers_after_retry(gateway_factory):
    calls = []

    def handler(request):
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(500)
        return httpx.Response(200, json={"choices": [{"message": {"role": "assistant", "content": "ok from upstream"},
                                                      "finish_reason": "stop"}], "usage": {}})

    gw = gateway_factory(upstreams=[_failing_upstream(handler)])
    r = gw.client.post("/v1/chat/completions", headers=gw.headers,
                       json={"model": "flaky-model", "messages": [{"role": "user", "content": "hi"}], "user": "demo-user"})
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "【AI生成】ok from upstream"


def test_upstream_timeout(gateway_factory):
    def handler(request):
        raise httpx.ReadTimeout("slow", request=request)

    gw = gateway_factory(upstreams=[_failing_upstream(handler)])
    r = gw.client.post("/v1/chat/completions", headers=gw.headers,
                       json={"model": "flaky-model", "messages": [{"role": "user", "content": "hi"}], "user": "demo-user"})
    _assert_error(r, 504, "UPSTREAM_TIMEOUT")


def test_database_down(gateway):
    gateway.services.db.engine.dispose()
    gateway.services.db.engine.url  # noqa: B018
    from sqlalchemy import create_engine
    gateway.services.db.engine = create_engine("sqlite:////nonexistent-dir/x.db")
    from sqlalchemy.orm import sessionmaker
    gateway.services.db._factory = sessionmaker(gateway.services.db.engine)
    gateway.services.authenticator._cache.clear()
    r = gateway.chat("hi")
    _assert_error(r, 503, "STORAGE_UNAVAILABLE")


def test_lone_surrogates_and_huge_text(gateway):
    body = b'{"model":"hegui-demo-chat","user":"demo-user","messages":[{"role":"user","content":"\\ud800 x"}]}'
    r = gateway.client.post("/v1/chat/completions", headers=gateway.headers, content=body)
    _assert_error(r, 400, "INVALID_INPUT")
    r = gateway.chat("字" * 200_000)
    assert r.status_code == 200


def test_english_errors_with_accept_language(gateway):
    r = gateway.client.post("/v1/chat/completions", headers={**gateway.headers, "Accept-Language": "en-US"},
                            content=b"{bad")
    assert r.json()["error"]["message"].startswith("request body is not valid JSON")
