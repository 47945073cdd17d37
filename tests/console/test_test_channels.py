"""The console's test-channel page (security-requirements §9): listed with their safety setting,
a banner while a safety-off channel is live, create (key shown once) and revoke for admins only,
CSRF-checked and audited; the ops view of records shows the channel mark."""

from __future__ import annotations

import re

from sqlalchemy import select

from hegui.storage.models import AuditEntry, TestChannel

from .conftest import csrf_of


def _create(c, name: str, safety: str, **extra) -> str:
    page = c.get("/console/test-channels")
    r = c.post("/console/test-channels", data={"name": name, "safety": safety, "days": "7", "note": "CAC-ZJ #42",
                                               "allow_ips": "", "csrf": csrf_of(page.text), **extra})
    assert r.status_code == 200, r.text
    m = re.search(r'id="channel-key">(hg-[^<]+)<', r.text)
    assert m, r.text
    return m.group(1)


def _actions(con) -> list[str]:
    with con.gw.services.db.session() as s:
        return [a.action for a in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))]


def test_create_list_banner_mark_and_revoke(console):
    c = console.login("admin")
    assert 'id="safety-off-banner"' not in c.get("/console/test-channels").text
    key = _create(c, "cac-zj", "off")
    assert "test_channel.created" in _actions(console)
    page = c.get("/console/test-channels?lang=en")
    assert 'id="safety-off-banner"' in page.text and "cac-zj" in page.text and "CAC-ZJ #42" in page.text
    assert 'id="safety-off-banner"' in c.get("/console").text
    assert key not in page.text  # shown once, at creation only
    # the records view marks the channel's requests
    gw = console.gw
    body = {"model": "hegui-demo-chat", "messages": [{"role": "user", "content": "hello"}]}
    assert gw.client.post("/v1/chat/completions", headers={"Authorization": f"Bearer {key}"}, json=body).status_code == 200
    records = c.get("/console/records?channel=off&lang=en").text
    assert 'class="tag test-channel"' in records and "OFF (not moderated, still labelled)" in records
    # revoke (admin, CSRF) — the key stops at once, the banner goes
    with gw.services.db.session() as s:
        cid = s.scalar(select(TestChannel.id).where(TestChannel.name == "cac-zj"))
    page = c.get("/console/test-channels")
    r = c.post(f"/console/test-channels/{cid}/revoke", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 303
    assert "test_channel.revoked" in _actions(console)
    assert gw.client.post("/v1/chat/completions", headers={"Authorization": f"Bearer {key}"},
                          json=body).status_code == 401
    assert 'id="safety-off-banner"' not in c.get("/console/test-channels").text


def test_only_admins_create_or_revoke_and_csrf_is_checked(console):
    admin = console.login("admin")
    _create(admin, "zj-on", "on")
    with console.gw.services.db.session() as s:
        cid = s.scalar(select(TestChannel.id).where(TestChannel.name == "zj-on"))
    reviewer = console.login("reviewer")
    page = reviewer.get("/console/test-channels")
    assert page.status_code == 200 and "zj-on" in page.text and "/revoke" not in page.text
    r = reviewer.post(f"/console/test-channels/{cid}/revoke", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 403
    r = admin.post(f"/console/test-channels/{cid}/revoke", data={"csrf": "forged"})
    assert r.status_code in (400, 403)
    with console.gw.services.db.session() as s:
        assert s.get(TestChannel, cid).revoked_at is None
