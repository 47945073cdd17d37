"""The onboarding API is published in /openapi.json, and its published examples work as written:
register → verify → accept the agreement → (guardian consent) → chat (docs/onboarding.md)."""

from __future__ import annotations

import pytest

from hegui.gateway.routers import users_openapi as doc

USER_PATHS = ["/v1/hegui/users", "/v1/hegui/users/{external_id}/verify/mobile",
              "/v1/hegui/users/{external_id}/verify/mobile/confirm", "/v1/hegui/users/{external_id}/verify/id-card",
              "/v1/hegui/users/{external_id}/verify/uscc", "/v1/hegui/users/{external_id}/verify/national",
              "/v1/hegui/users/{external_id}/agreement", "/v1/hegui/users/{external_id}/guardian-consent",
              "/v1/hegui/users/{external_id}/training-opt-out"]


@pytest.fixture
def spec(gateway) -> dict:
    return gateway.client.get("/openapi.json").json()


def _op(spec: dict, path: str) -> dict:
    methods = spec["paths"][path]
    return methods.get("post") or methods["put"]


def _example(spec: dict, path: str, name: str) -> dict:
    return _op(spec, path)["requestBody"]["content"]["application/json"]["examples"][name]["value"]


@pytest.mark.parametrize("path", USER_PATHS)
def test_every_user_route_is_documented(spec, path):
    op = _op(spec, path)
    assert op["summary"] and doc.TAG in op["tags"]
    body = op["requestBody"]["content"]["application/json"]
    assert body["schema"]["required"] and body["examples"]
    ok = op["responses"]["200"]["content"]["application/json"]
    assert ok["example"] and ok["schema"]
    for code in ("400", "401", "403"):
        err = op["responses"][code]["content"]["application/json"]
        assert err["schema"]["$ref"].endswith("/ErrorBody") and err["example"]["error"]["request_id"]


def test_published_examples_run_the_flow(gateway, spec):
    c, h = gateway.client, gateway.headers
    u = "/v1/hegui/users/alice-42"
    r = c.post("/v1/hegui/users", headers=h, json=_example(spec, "/v1/hegui/users", "person"))
    assert r.status_code == 200 and r.json()["status"] == "pending"
    assert gateway.chat("你好", user="alice-42").json()["error"]["code"] == "USER_NOT_ALLOWED"
    r = c.post(f"{u}/verify/id-card", headers=h, json=_example(spec, USER_PATHS[3], "id_card"))
    assert r.status_code == 200 and r.json()["verified_by"] == "id_card"
    assert set(r.json()) == set(spec["components"]["schemas"]["UserView"]["properties"])
    agreement = c.get("/v1/hegui/agreement", headers=h).json()
    accept = {**_example(spec, USER_PATHS[6], "accept"), "version": agreement["version"]}
    assert c.post(f"{u}/agreement", headers=h, json=accept).json()["agreement_version"] == agreement["version"]
    assert gateway.chat("你好", user="alice-42").status_code == 200
    r = c.put(f"{u}/training-opt-out", headers=h, json=_example(spec, USER_PATHS[8], "opt_out"))
    assert r.json()["training_opt_out"] is True
    r = c.post(f"{u}/guardian-consent", headers=h, json=_example(spec, USER_PATHS[7], "guardian"))
    assert r.status_code == 200 and r.json()["guardian_consent"] is True


def test_published_mobile_and_uscc_examples(gateway, spec):
    c, h = gateway.client, gateway.headers
    c.post("/v1/hegui/users", headers=h, json={"user": "bob"})
    start = _example(spec, USER_PATHS[1], "mobile")
    ch = c.post("/v1/hegui/users/bob/verify/mobile", headers=h, json=start).json()["challenge_id"]
    confirm = {**_example(spec, USER_PATHS[2], "confirm"), "challenge_id": ch,
               "code": gateway.services.sms.sent[start["phone"]]}
    r = c.post("/v1/hegui/users/bob/verify/mobile/confirm", headers=h, json=confirm)
    assert r.status_code == 200 and r.json()["verified_by"] == "mobile" and r.json()["minor_until"] is None
    org = _example(spec, "/v1/hegui/users", "organisation")
    assert c.post("/v1/hegui/users", headers=h, json=org).json()["kind"] == "organisation"
    r = c.post(f"/v1/hegui/users/{org['user']}/verify/uscc", headers=h, json=_example(spec, USER_PATHS[4], "uscc"))
    assert r.status_code == 200 and r.json()["verified_by"] == "uscc"


def test_documented_error_shape_is_what_is_served(gateway, spec):
    r = gateway.post("/v1/hegui/users", {})
    served = r.json()["error"]
    example = _op(spec, "/v1/hegui/users")["responses"]["400"]["content"]["application/json"]["example"]["error"]
    assert set(served) == set(example) | {"param"} and served["code"] == example["code"]
    assert served["request_id"] == r.headers["x-request-id"]
