"""Console over HTTP: login, roles on every route, CSRF, escaping, headers, auditing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from hegui.cases.models import Case, Sanction
from hegui.storage.models import AuditEntry, EndUser, ReviewItem

from .conftest import csrf_of

GET_PAGES = ["/console", "/console/review", "/console/cases", "/console/users", "/console/records",
             "/console/packs", "/console/obligations", "/console/audit", "/console/audit?verify=1",
             "/console/test-channels", "/console/governance", "/console/annotation", "/console/inspections"]


def _actions(con) -> list[str]:
    return [a.action for a in _audit(con)]


def _audit(con):
    with con.gw.services.db.session() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


@pytest.mark.parametrize("role", ["admin", "reviewer", "auditor"])
def test_every_page_renders_for_every_role(console, role):
    c = console.login(role)
    console.gw.verified_user("page-user")
    with console.gw.services.db.session() as s:
        uid = s.scalar(select(EndUser.id).where(EndUser.external_id == "page-user"))
    for path in [*GET_PAGES, f"/console/users/{uid}"]:
        r = c.get(path)
        assert r.status_code == 200, (path, r.text[:500])
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "console.login" in _actions(console)


def test_login_required_and_wrong_password(console):
    c = console.client()
    r = c.get("/console/cases")
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
    page = c.get("/console/login")
    r = c.post("/console/login", data={"username": "admin", "password": "wrong-password", "csrf": csrf_of(page.text)})
    assert r.status_code == 401 and "用户名或密码错误" in r.text and "wrong username or password" in r.text
    assert "console.login_failed" in _actions(console)


def test_session_cookie_is_secure_httponly_strict(console):
    c = console.client()
    page = c.get("/console/login")
    r = c.post("/console/login", data={"username": "admin", "password": console.gw.admin_password,
                                       "csrf": csrf_of(page.text)})
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("hegui_console="))
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")


def test_plain_http_from_a_remote_host_cannot_log_in(console):
    from fastapi.testclient import TestClient

    with TestClient(console.app, base_url="http://console.example.com") as c:
        page = c.get("/console/login")
        r = c.post("/console/login", data={"username": "admin", "password": console.gw.admin_password,
                                           "csrf": csrf_of(page.text)})
        assert r.status_code == 401 and "HTTPS" in r.text


def test_forged_csrf_is_refused_and_audited(console):
    console.gw.verified_user("victim")
    with console.gw.services.db.session() as s:
        uid = s.scalar(select(EndUser.id).where(EndUser.external_id == "victim"))
    c = console.login("admin")
    r = c.post(f"/console/users/{uid}/sanction", data={"kind": "terminate", "reason": "forged", "csrf": "forged-token"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = c.post(f"/console/users/{uid}/sanction", data={"kind": "terminate", "reason": "no token"})
    assert r.status_code == 403
    with console.gw.services.db.session() as s:
        assert s.scalar(select(Sanction)) is None
    assert _actions(console).count("console.denied") == 2


def test_reviewer_cannot_call_admin_routes_and_auditor_cannot_write(console):
    console.gw.verified_user("target")
    with console.gw.services.db.session() as s:
        uid = s.scalar(select(EndUser.id).where(EndUser.external_id == "target"))
    rv = console.login("reviewer")
    page = rv.get(f"/console/users/{uid}")
    assert 'id="sanction-form"' not in page.text  # not offered
    token = csrf_of(page.text)
    r = rv.post(f"/console/users/{uid}/sanction", data={"kind": "terminate", "reason": "x", "csrf": token})
    assert r.status_code == 403 and "无权" in r.text and "may not" in r.text
    r = rv.post("/console/packs/rollback", data={"name": "x", "csrf": token})
    assert r.status_code == 403
    au = console.login("auditor")
    token = csrf_of(au.get("/console/cases").text)
    r = au.post("/console/cases", data={"type": "other", "text": "auditor writes", "csrf": token})
    assert r.status_code == 403
    with console.gw.services.db.session() as s:
        assert s.scalar(select(Sanction)) is None and s.scalar(select(Case)) is None
    denied = [a for a in _audit(console) if a.action == "console.denied"]
    assert {a.actor for a in denied} == {"console:reviewer", "console:auditor"}


def test_script_in_complaint_is_escaped_in_the_console(console):
    desk = console.app.state.case_desk
    case = desk.submit(case_type="other", text='<script>alert("x")</script><img src=x onerror=alert(1)>', channel="web")
    c = console.login("admin")
    page = c.get(f"/console/cases/{case.tracking}")
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text


def test_case_workflow_over_http(console):
    desk = console.app.state.case_desk
    case = desk.submit(case_type="illegal_content", text="illegal content report", channel="web")
    c = console.login("reviewer")
    token = csrf_of(c.get(f"/console/cases/{case.tracking}").text)
    url = f"/console/cases/{case.tracking}"
    assert c.post(url + "/assign", data={"assignee": "reviewer", "csrf": token}).status_code == 303
    assert c.post(url + "/transition", data={"to": "triaged", "csrf": token}).status_code == 303
    r = c.post(url + "/transition", data={"to": "feedback_sent", "note": "x", "csrf": token})
    assert r.status_code == 409 and "cannot go from triaged to feedback_sent" in r.text
    r = c.post(url + "/transition", data={"to": "rejected", "note": "", "csrf": token})
    assert r.status_code == 400 and "reason" in r.text
    assert c.post(url + "/transition", data={"to": "rejected", "note": "not illegal", "csrf": token}).status_code == 303
    assert c.post(url + "/transition", data={"to": "feedback_sent", "note": "we checked", "csrf": token}).status_code == 303
    status = console.gw.client.get(f"/complaints/status/{case.tracking}?lang=en")
    assert "feedback sent" in status.text and "we checked" in status.text and "not illegal" in status.text
    acts = [a.action for a in _audit(console) if a.target == f"case:{case.tracking}"]
    assert acts == ["case.received", "case.assigned", "case.transition", "case.transition", "case.transition"]


def test_review_queue_decisions(console):
    sv = console.gw.services
    with sv.db.session() as s:
        items = [ReviewItem(direction="output", risks=[{"id": "A1f", "score": 0.6}], text_enc=sv.keys.seal(t, b"review"))
                 for t in ("flagged output one", "flagged output two is long enough", "flagged three")]
        s.add_all(items)
    ids = [i.id for i in items]
    c = console.login("reviewer")
    page = c.get("/console/review")
    assert "flagged output one" in page.text
    token = csrf_of(page.text)
    assert c.post(f"/console/review/{ids[0]}", data={"decision": "approve", "csrf": token}).status_code == 303
    assert c.post(f"/console/review/{ids[1]}", data={"decision": "blocklist", "csrf": token}).status_code == 303
    r = c.post(f"/console/review/{ids[0]}", data={"decision": "block", "csrf": token})
    assert r.status_code == 400 and "already decided" in r.text
    r = c.post(f"/console/review/{ids[2]}/lexicon", data={"term": "坏词测试", "risk": "A1f", "csrf": token})
    assert r.status_code == 303
    with sv.db.session() as s:
        assert [s.get(ReviewItem, i).status for i in ids] == ["approved", "blocked", "pending"]
    assert console.app.state.case_desk.blocklist.match_text("flagged output two is long enough") is not None
    from hegui.moderation.packs.loader import load_pack

    pack = load_pack(Path(sv.settings.var_dir) / "packs" / "live" / "console-lexicon")
    assert [(t.text, t.risk) for t in pack.terms] == [("坏词测试", "A1f")]
    assert "review.viewed" in _actions(console) and "lexicon.term_added" in _actions(console)


def test_record_content_view_is_audited(console):
    console.gw.verified_user("viewer-subject")
    console.gw.chat("/echo 需要查看的内容", user="viewer-subject")
    c = console.login("auditor")
    page = c.get("/console/records?user=viewer-subject")
    assert "需要查看的内容" not in page.text  # list shows metadata only
    with console.gw.services.db.session() as s:
        from hegui.storage.models import UsageRecord

        rid = s.scalar(select(UsageRecord.id))
    r = c.post(f"/console/records/{rid}/view", data={"reason": "audit check", "csrf": csrf_of(page.text)})
    assert r.status_code == 200 and "需要查看的内容" in r.text
    entry = [a for a in _audit(console) if a.action == "record.content_viewed"][-1]
    assert entry.actor == "console:auditor" and entry.target == f"record:{rid}"


def _pack_zip(version: str, terms: str) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("pack.yaml", f"format: 1\nid: operator-test\nversion: '{version}'\nrisks: [A1h]\nterms: ['*.tsv']\n")
        z.writestr("terms.tsv", terms)
    return buf.getvalue()


def test_policy_packs_upload_diff_activate_rollback(console):
    from hegui.console.packs import PackStore
    from hegui.moderation.packs.loader import load_pack

    c = console.login("admin")
    token = csrf_of(c.get("/console/packs").text)
    store = PackStore(console.gw.services.settings)
    r = c.post("/console/packs/upload", data={"csrf": token}, files={"file": ("p.zip", _pack_zip("1", "赌博网站\tA1h\t2\n"))})
    assert r.status_code == 303, r.text
    first = store.list()[0].stamp
    c.post("/console/packs/activate", data={"id": "operator-test", "stamp": first, "csrf": token})
    c.post("/console/packs/upload", data={"csrf": token},
           files={"file": ("p.zip", _pack_zip("2", "赌博网站\tA1h\t2\n私彩\tA1h\t3\n"))})
    second = next(v for v in store.list() if v.stamp != first).stamp
    diff = c.get(f"/console/packs?id=operator-test&stamp={second}")
    assert "+私彩" in diff.text and "-version: &#39;1&#39;" in diff.text
    c.post("/console/packs/activate", data={"id": "operator-test", "stamp": second, "csrf": token})
    live = store.live / "operator-test"
    assert len(load_pack(live).terms) == 2  # the engine's own loader reads the live pack
    assert c.post("/console/packs/rollback", data={"id": "operator-test", "csrf": token}).status_code == 303
    assert len(load_pack(live).terms) == 1
    bad = c.post("/console/packs/upload", data={"csrf": token},
                 files={"file": ("p.zip", _pack_zip("3", "坏行\tA9z\n"))})
    assert bad.status_code == 400 and "terms.tsv:1" in bad.text
    assert len(load_pack(live).terms) == 1 and len(store.list()) == 2
    assert {"pack.uploaded", "pack.activated", "pack.rolled_back"} <= set(_actions(console))


def test_report_downloads(console):
    c = console.login("auditor")
    day = console.app.state.case_desk.today().isoformat()
    r = c.get(f"/console/report?from={day}&to={day}&format=csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    r = c.get(f"/console/report?from={day}&to={day}&format=pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF-")
    assert c.get("/console/report?from=bad&to=").status_code == 400


def test_language_switch(console):
    c = console.login("admin")
    assert "审核队列" in c.get("/console?lang=zh").text
    assert "Review queue" in c.get("/console?lang=en").text
    assert "Review queue" in c.get("/console").text  # remembered in a cookie


def test_user_page_is_translated_and_masked(console):
    console.gw.verified_user("masked-user")
    with console.gw.services.db.session() as s:
        user = s.scalar(select(EndUser).where(EndUser.external_id == "masked-user"))
    c = console.login("auditor")
    page = c.get(f"/console/users/{user.id}?lang=zh").text
    assert user.id_masked in page and "否" in page and "截止" in page
    assert "已实名" in page and "已实名" not in c.get(f"/console/users/{user.id}?lang=en").text  # status codes translated
    from hegui.bootstrap import DEMO_ID_NUMBER

    assert DEMO_ID_NUMBER not in page and user.id_hmac not in page


def test_dashboard_translates_case_status(console):
    console.app.state.case_desk.submit(case_type="other", text="a report for the dashboard", channel="web")
    c = console.login("auditor")
    zh = c.get("/console?lang=zh").text
    assert ">已受理</a>" in zh and ">received</a>" not in zh
    assert ">received</a>" in c.get("/console?lang=en").text


def test_deletion_for_unknown_user_via_console_is_clear_and_audited(console):
    desk = console.app.state.case_desk
    case = desk.submit(case_type="pi_delete", text="delete account ghost", account="ghost", channel="web")
    desk.transition(case.tracking, "triaged", "console:admin", "verified")
    c = console.login("admin")
    token = csrf_of(c.get(f"/console/cases/{case.tracking}").text)
    r = c.post(f"/console/cases/{case.tracking}/execute", data={"confirm": "yes", "csrf": token})
    assert r.status_code == 404 and "nothing was done" in r.text and "未执行" in r.text
    failed = [a for a in _audit(console) if a.action == "console.failed"]
    assert failed and failed[-1].detail["code"] == "PI_SUBJECT_NOT_FOUND"
    with console.gw.services.db.session() as s:
        assert s.scalar(select(Case.status).where(Case.tracking == case.tracking)) == "triaged"
