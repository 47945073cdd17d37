"""Regulator test channels (security-requirements §9): safety on is the service as users meet it;
safety off skips moderation only, never labels or records; expired, revoked and out-of-range
keys are refused; nothing in a request can turn safety off; every step is audited."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hegui.identity import test_channels
from hegui.records import audit
from hegui.storage.base import utcnow
from hegui.storage.models import AuditEntry, EndUser, UsageContent, UsageRecord

BAD = "forbidden-term"  # refused by the tests' term moderator (tests/conftest.py)


def make_channel(gw, name: str = "cac-test", safety: bool = True, **kw) -> tuple[str, str]:
    """A channel as ``hegui admin test-channel create`` makes it: ``(channel id, key)``."""
    with gw.services.db.session() as s:
        row, key = test_channels.create(s, name=name, safety=safety, issued_by="cli:test", **kw)
        audit.append(s, "cli:test", "test_channel.created", f"test_channel:{row.id}", test_channels.audit_detail(row))
        return row.id, key


def chat(client: TestClient, key: str, text: str, headers: dict | None = None, **body):
    payload = {"model": "hegui-demo-chat", "messages": [{"role": "user", "content": text}], **body}
    return client.post("/v1/chat/completions", headers={"Authorization": f"Bearer {key}", **(headers or {})},
                       json=payload)


def records(gw, channel_id: str | None = None) -> list[UsageRecord]:
    with gw.services.db.session() as s:
        q = select(UsageRecord).order_by(UsageRecord.created_at)
        if channel_id:
            q = q.where(UsageRecord.test_channel_id == channel_id)
        return list(s.scalars(q))


def audit_actions(gw) -> list[str]:
    with gw.services.db.session() as s:
        return [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))]


def test_safety_on_is_moderated_like_any_user(gateway_factory, db_url):
    gw = gateway_factory(db_url=db_url)
    cid, key = make_channel(gw, safety=True)
    refused = chat(gw.client, key, f"please {BAD}")
    assert refused.status_code == 200, refused.text
    body = refused.json()
    assert body["choices"][0]["finish_reason"] == "content_filter"
    assert body["hegui"]["moderation"]["input"]["action"] in ("refuse", "block")
    ok = chat(gw.client, key, "hello")
    assert ok.status_code == 200 and ok.json()["choices"][0]["finish_reason"] == "stop"
    recs = records(gw, cid)
    assert [r.status for r in recs] == ["refused", "ok"]
    assert all(not r.safety_off and r.user_id for r in recs)
    assert recs[1].label and recs[1].input_action == "allow"


def test_safety_off_skips_moderation_but_labels_and_records(gateway_factory, db_url):
    gw = gateway_factory(db_url=db_url)
    cid, key = make_channel(gw, safety=False)
    r = chat(gw.client, key, f"/echo {BAD}")
    assert r.status_code == 200, r.text
    body = r.json()
    answer = body["choices"][0]["message"]["content"]
    assert answer == gw.services.text_label.apply(BAD)  # the model's own answer, labelled
    assert r.headers["X-AIGC-Label"] and body["hegui"]["implicit"]
    for side in ("input", "output"):
        verdict = body["hegui"]["moderation"][side]
        assert verdict["action"] == "bypassed" and verdict["reason"] == test_channels.BYPASS_REASON
    (rec,) = records(gw, cid)
    assert rec.safety_off and rec.status == "ok" and rec.label
    assert rec.input_action == rec.output_action == "bypassed"
    assert rec.decided_by == test_channels.BYPASS_REASON
    with gw.services.db.session() as s:
        content = s.get(UsageContent, rec.id)
        prompt, output = gw.services.writer.read_content(content)
        assert BAD in prompt and output == answer and content.training_allowed is False


def test_safety_off_stream_is_labelled_and_says_bypassed(gateway):
    cid, key = make_channel(gateway, safety=False)
    r = chat(gateway.client, key, f"/echo {BAD}", stream=True)
    assert r.status_code == 200
    events = [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: {")]
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in events)
    assert text == gateway.services.text_label.apply(BAD)
    assert events[-1]["hegui"]["moderation"]["output"]["action"] == "bypassed"
    (rec,) = records(gateway, cid)
    assert rec.safety_off and rec.output_action == "bypassed" and rec.stream


def test_safety_off_images_are_still_labelled(gateway):
    cid, key = make_channel(gateway, safety=False)
    r = gateway.client.post("/v1/images/generations", headers={"Authorization": f"Bearer {key}"},
                            json={"prompt": f"a poster saying {BAD}"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["hegui"]["moderation"]["input"]["action"] == "bypassed"
    assert body["data"][0]["hegui"]["implicit"] and r.headers["X-AIGC-Label"]
    (rec,) = records(gateway, cid)
    assert rec.safety_off and rec.label.startswith("image:explicit+implicit")
    assert rec.input_action == rec.output_action == "bypassed"


def test_no_request_field_or_header_turns_safety_off(gateway):
    cid, key = make_channel(gateway, safety=True)
    off_id, _ = make_channel(gateway, name="off", safety=False)
    tricks = {"safety": "off", "hegui": {"safety": "off", "test_channel": off_id}, "test_channel": off_id,
              "channel": "regulator-test"}
    headers = {"X-Hegui-Safety": "off", "X-Hegui-Channel": off_id, "X-Hegui-Test-Channel": off_id}
    r = chat(gateway.client, key, BAD, headers=headers, **tricks)
    assert r.status_code == 200 and r.json()["choices"][0]["finish_reason"] == "content_filter"
    gateway.verified_user("alice")
    r = chat(gateway.client, gateway.api_key, BAD, headers=headers, user="alice", **tricks)
    assert r.status_code == 200 and r.json()["choices"][0]["finish_reason"] == "content_filter"
    assert not any(rec.safety_off for rec in records(gateway))
    # a channel key acts only as its own test user, whatever the request names
    chat(gateway.client, key, "hi", user="alice")
    with gateway.services.db.session() as s:
        alice = s.scalar(select(EndUser).where(EndUser.external_id == "alice"))
    assert records(gateway, cid)[-1].user_id != alice.id


def test_plain_keys_cannot_reach_a_test_user_nor_be_issued_for_a_channel(gateway):
    from hegui.errors import ValidationFailed
    from hegui.identity import apps
    from hegui.storage.models import App

    make_channel(gateway, name="zj", safety=False)
    r = chat(gateway.client, gateway.api_key, "hi", user="regulator-test:zj")
    assert r.status_code in (401, 403, 404)
    with gateway.services.db.session() as s:
        app = s.scalar(select(App).where(App.name == "test-channel:zj"))
        with pytest.raises(ValidationFailed):
            apps.issue_key(s, app)
        with pytest.raises(ValidationFailed):
            apps.create_app(s, "test-channel:other")


def test_expired_channel_is_refused_and_its_expiry_audited_once(gateway_factory, db_url):
    gw = gateway_factory(db_url=db_url)
    past = utcnow() - dt.timedelta(days=31)
    cid, key = make_channel(gw, safety=False, days=30, now=past)
    for _ in range(2):
        r = chat(gw.client, key, "hi")
        assert r.status_code == 401
        err = r.json()["error"]
        assert err["code"] == "TEST_CHANNEL_CLOSED"
        assert "expired" in err["message_en"] and "已过期" in err["message_zh"]
    assert audit_actions(gw).count("test_channel.expired") == 1
    assert records(gw, cid) == []


def test_revoked_channel_is_refused_at_once(gateway):
    cid, key = make_channel(gateway, safety=False)
    assert chat(gateway.client, key, "hi").status_code == 200
    with gateway.services.db.session() as s:
        row, key_hash = test_channels.revoke(s, cid, "cli:test")
        audit.append(s, "cli:test", "test_channel.revoked", f"test_channel:{row.id}", test_channels.audit_detail(row))
    gateway.services.authenticator.forget(key_hash)
    r = chat(gateway.client, key, "hi")
    assert r.status_code == 401 and "revoked" in r.json()["error"]["message_en"]
    assert "已吊销" in r.json()["error"]["message_zh"]


def test_a_key_revoked_through_the_admin_api_closes_its_channel(gateway):
    from hegui.identity import apps
    from hegui.storage.models import TestChannel

    cid, key = make_channel(gateway, safety=False)
    with gateway.services.db.session() as s:
        key_hash = apps.revoke_key(s, s.get(TestChannel, cid).key_id)
    gateway.services.authenticator.forget(key_hash)
    assert chat(gateway.client, key, "hi").json()["error"]["code"] == "TEST_CHANNEL_CLOSED"


def test_address_allow_list(gateway):
    cid, key = make_channel(gateway, safety=False, allow_ips=["10.0.0.0/8", "2001:db8::/32"])
    app = gateway.client.app
    inside = TestClient(app, client=("10.1.2.3", 5000))
    outside = TestClient(app, client=("192.0.2.7", 5000))
    assert chat(inside, key, "hi").status_code == 200
    r = chat(outside, key, "hi")
    assert r.status_code == 403 and r.json()["error"]["code"] == "TEST_CHANNEL_ADDRESS"
    # X-Forwarded-For from an untrusted peer is not believed
    assert chat(outside, key, "hi", headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 403
    assert len(records(gateway, cid)) == 1


def test_channel_key_serves_only_the_model_endpoints(gateway):
    _, key = make_channel(gateway, safety=False)
    auth = {"Authorization": f"Bearer {key}"}
    r = gateway.client.post("/v1/hegui/users", headers=auth, json={"user": "x"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "TEST_CHANNEL_ENDPOINT"
    assert gateway.client.get("/v1/models", headers=auth).status_code == 200


def test_rate_limit_per_channel(gateway_factory):
    gw = gateway_factory(throttle={"test_channel_requests": {"limit": 2, "window_seconds": 60}})
    _, key = make_channel(gw, safety=False)
    assert [chat(gw.client, key, "hi").status_code for _ in range(3)] == [200, 200, 429]


def test_lifecycle_is_audited_and_the_chain_holds(gateway):
    cid, key = make_channel(gateway, safety=False)
    for _ in range(3):
        assert chat(gateway.client, key, "hi").status_code == 200
    with gateway.services.db.session() as s:
        row, _ = test_channels.revoke(s, cid, "cli:test")
        audit.append(s, "cli:test", "test_channel.revoked", f"test_channel:{cid}", test_channels.audit_detail(row))
    actions = [a for a in audit_actions(gateway) if a.startswith("test_channel.")]
    assert actions == ["test_channel.created", "test_channel.first_use", "test_channel.revoked"]
    with gateway.services.db.session() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "test_channel.created"))
        assert entry.detail["safety"] == "off" and entry.target == f"test_channel:{cid}"
        assert key not in json.dumps(entry.detail) and audit.verify(s).ok
        row = s.get(test_channels.TestChannel, cid)
        assert row.first_used_at is not None and row.last_used_at is not None


def test_refused_prompts_do_not_get_the_test_user_sanctioned(gateway):
    """The repeat-violator rule (3 in a row by default) would end the regulator's test."""
    cid, key = make_channel(gateway, safety=True)
    for _ in range(12):
        assert chat(gateway.client, key, BAD).json()["choices"][0]["finish_reason"] == "content_filter"
    assert chat(gateway.client, key, "hello").json()["choices"][0]["finish_reason"] == "stop"


def test_metrics_count_channel_requests(gateway_factory):
    gw = gateway_factory(server={"metrics_public": True})
    _, key = make_channel(gw, safety=False)
    chat(gw.client, key, "hi")
    text = gw.client.get("/metrics").text
    assert 'hegui_test_channel_requests_total{outcome="admitted",safety="off"}' in text


def test_creation_is_checked():
    from hegui.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        test_channels.parse_networks(["not-a-cidr"])
    assert test_channels.parse_networks(["10.1.2.3", "2001:db8::1/32"]) == ["10.1.2.3/32", "2001:db8::/32"]


def test_cli_create_list_revoke_and_the_register_warns(gateway, tmp_path):
    from typer.testing import CliRunner

    from hegui.cli.main import app
    from hegui.obligations.register import evaluate

    st = gateway.services.settings
    cfg = tmp_path / "hegui.toml"
    cfg.write_text(f'var_dir = "{st.var_dir}"\n[storage]\nurl = "{st.storage.url}"\n', encoding="utf-8")
    run = CliRunner().invoke
    rows = {row.duty.id: row for row in evaluate(gateway.services)[1]}
    assert rows["FILING-TC"].finding.status.value == "not_met"  # nothing issued and exercised yet
    r = run(app, ["admin", "test-channel", "create", "--name", "cac-zj", "--safety", "off", "--days", "3",
                  "--allow-ip", "testclient-is-no-ip/8", "-c", str(cfg)])
    assert r.exit_code != 0  # a bad CIDR is refused, nothing made
    r = run(app, ["admin", "test-channel", "create", "--name", "cac-zj", "--safety", "off", "--days", "3",
                  "--note", "CAC ticket 7", "-c", str(cfg)], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    key = next(w for w in r.output.split() if w.startswith("hg-"))
    assert "bypasses moderation" in r.output and "绕过内容审核" in r.output
    assert chat(gateway.client, key, "hi").json()["hegui"]["moderation"]["input"]["action"] == "bypassed"
    rows = {row.duty.id: row for row in evaluate(gateway.services)[1]}
    assert rows["FILING-TC"].finding.status.value == "not_met" and "cac-zj" in rows["FILING-TC"].finding.reason_en
    r = run(app, ["admin", "test-channel", "list", "-c", str(cfg)], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "cac-zj" in r.output and "active" in r.output and key not in r.output
    r = run(app, ["admin", "test-channel", "revoke", "cac-zj", "-c", str(cfg)])
    assert r.exit_code == 0, r.output
    gateway.services.authenticator.forget()  # another process revoked it: this one's cache is dropped
    assert chat(gateway.client, key, "hi").status_code == 401
    rows = {row.duty.id: row for row in evaluate(gateway.services)[1]}
    assert rows["FILING-TC"].finding.status.value == "met"
    assert [a for a in audit_actions(gateway) if a.startswith("test_channel.")] == [
        "test_channel.created", "test_channel.first_use", "test_channel.revoked"]
