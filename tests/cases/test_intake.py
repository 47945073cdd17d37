"""Public complaint form and API: tracking, status page, abuse resistance, upload limits."""

from __future__ import annotations

import base64
import io

from PIL import Image
from sqlalchemy import func, select

from hegui.cases.models import Case, CaseEvidence
from hegui.storage.models import AuditEntry

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    return buf.getvalue()


def _count(gw, model) -> int:
    with gw.services.db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_form_gets_tracking_number_status_page_and_audit(gateway, submit):
    page = gateway.client.get("/complaints?lang=zh")
    assert page.status_code == 200 and 'name="website"' in page.text and "工作日" in page.text
    r = submit(gateway, {"type": "rumour", "text": "这条生成内容是谣言 rumour", "contact": "a@example.com"},
               files=[("evidence", ("shot.png", _png(), "image/png"))])
    assert r.status_code == 303
    status = gateway.client.get(r.headers["location"])
    assert status.status_code == 200
    with gateway.services.db.session() as s:
        case = s.scalar(select(Case))
        assert case.tracking in status.text and case.due_on is not None and case.status == "received"
        assert s.scalar(select(func.count()).select_from(CaseEvidence)) == 1
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "case.received")).target == f"case:{case.tracking}"
    # headers on public pages
    assert "default-src 'self'" in status.headers["content-security-policy"]
    assert status.headers["x-frame-options"] == "DENY"


def test_script_in_text_is_escaped(gateway, submit):
    r = submit(gateway, {"type": "other", "text": "<script>alert('x')</script> hello"})
    page = gateway.client.get(r.headers["location"])
    assert page.status_code == 200 and "<script>alert" not in page.text
    with gateway.services.db.session() as s:
        # kept verbatim (sealed at rest, opened on load), escaped on output
        assert s.scalar(select(Case)).text == "<script>alert('x')</script> hello"


def test_procedure_is_generated_from_config(gateway):
    page = gateway.client.get("/complaints/procedure?lang=en")
    assert page.status_code == 200
    assert "15 working days" in page.text and "3 refused inputs in a row" in page.text
    assert "Interim Measures Art 15" in page.text


def test_honeypot_and_fast_fill_are_refused_and_nothing_stored(gateway, submit):
    r = submit(gateway, {"type": "other", "text": "bot text here", "website": "http://spam"})
    assert r.status_code == 400 and "not filled in by a person" in r.text and "非人工" in r.text
    r = submit(gateway, {"type": "other", "text": "too fast text"}, age=0.2)
    assert r.status_code == 400 and "too fast" in r.text
    r = gateway.client.post("/complaints", data={"type": "other", "text": "forged ts", "ts": "123.abc"})
    assert r.status_code == 400
    assert _count(gateway, Case) == 0


def test_flood_is_rate_limited(gateway, submit):
    codes = [submit(gateway, {"type": "other", "text": f"report number {i}"}).status_code for i in range(8)]
    assert codes[:5] == [303] * 5
    assert set(codes[5:]) == {429}
    last = submit(gateway, {"type": "other", "text": "one more"})
    assert "Too many" in last.text and "过于频繁" in last.text
    assert _count(gateway, Case) == 5


def test_wrong_type_and_oversized_uploads(gateway_factory, submit, tmp_path):
    gw = gateway_factory()
    exe = b"MZ\x90\x00" + bytes(range(256)) * 4
    r = submit(gw, {"type": "other", "text": "with a binary"}, files=[("evidence", ("a.png", exe, "image/png"))])
    assert r.status_code == 413 and "file type not accepted" in r.text and "文件类型" in r.text
    # a smaller limit from the operator's cases.yaml
    from hegui.cases.config import load_config

    desk = gw.client.app.state.case_desk
    desk.config = desk.config.model_copy(update={"intake": desk.config.intake.model_copy(update={"max_file_bytes": 2048})})
    big = _png() + b"\x00" * 4096
    r = submit(gw, {"type": "other", "text": "with a big file"}, files=[("evidence", ("big.png", big, "image/png"))])
    assert r.status_code == 413 and "larger than" in r.text
    assert _count(gw, Case) == 0 and _count(gw, CaseEvidence) == 0
    assert not any((tmp_path).rglob("evidence/*/*"))
    load_config.cache_clear()


def test_unknown_type_and_empty_text(gateway, submit):
    assert submit(gateway, {"type": "nonsense", "text": "whatever text"}).status_code == 400
    assert submit(gateway, {"type": "other", "text": " "}).status_code == 400


def test_api_intake_and_status(gateway):
    gateway.verified_user("api-user")
    r = gateway.post("/v1/hegui/cases", {"type": "pi_access", "text": "please send my data", "user": "api-user",
                                         "evidence": [{"filename": "n.txt", "data_base64": base64.b64encode(b"note").decode()}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "received" and body["due_on"]
    r2 = gateway.client.get(f"/v1/hegui/cases/{body['tracking']}", headers=gateway.headers)
    assert r2.json()["tracking"] == body["tracking"]
    with gateway.services.db.session() as s:
        assert s.scalar(select(Case)).subject_user is not None
    assert gateway.client.post("/v1/hegui/cases", json={"type": "other", "text": "no key"}).status_code == 401
    bad = gateway.post("/v1/hegui/cases", {"type": "other", "text": "bad b64", "evidence": [{"data_base64": "%%%"}]})
    assert bad.status_code == 400


def test_status_page_unknown_tracking(gateway):
    r = gateway.client.get("/complaints/status/HG20260101-NOPE")
    assert r.status_code == 404 and "Case not found" in r.text


def test_form_keeps_what_was_typed_after_an_error(gateway, submit):
    r = submit(gateway, {"type": "rumour", "text": "my <b>long</b> report", "contact": "me@example.com"}, age=0.1)
    assert r.status_code == 400
    assert "my &lt;b&gt;long&lt;/b&gt; report" in r.text and 'value="me@example.com"' in r.text


def test_pi_request_needs_the_account(gateway, submit):
    r = submit(gateway, {"type": "pi_delete", "text": "delete everything about me"})
    assert r.status_code == 400 and "needs the account" in r.text and "账号" in r.text
    assert _count(gateway, Case) == 0


def test_evidence_larger_than_the_api_body_limit_is_accepted(gateway, submit):
    """The form takes files up to ``max_file_bytes`` (5 MB) though the API's body limit is 1 MB."""
    big = _png() + b"\x00" * 3_000_000
    r = submit(gateway, {"type": "other", "text": "with a 3 MB screenshot"},
               files=[("evidence", ("big.png", big, "image/png"))])
    assert r.status_code == 303, r.text
    assert _count(gateway, CaseEvidence) == 1
    r = gateway.client.post("/v1/chat/completions", content=b"x" * 2_000_000,
                            headers={"content-type": "application/json"})
    assert r.status_code == 413
