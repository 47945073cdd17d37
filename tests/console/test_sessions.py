"""Server-side console sessions (revocable, role read on every request) and the login lockout."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select, update

from hegui.identity import admins
from hegui.settings import ThrottleRule
from hegui.storage.models import AdminUser, AuditEntry, ConsoleSession

from .conftest import Console, csrf_of

RULE = ThrottleRule(limit=3, window_seconds=60, lockout_seconds=600)


@pytest.fixture
def console(gateway_factory, db_url):
    """The console on SQLite and (with HEGUI_TEST_POSTGRES_URL) PostgreSQL."""
    con = Console(gateway_factory(db_url=db_url))
    yield con
    for c in con.clients:
        c.close()


def _basic(user: str, pw: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()}


def _cookie(c) -> str:
    return c.cookies.get("hegui_console")


def test_logout_ends_the_session_even_if_the_cookie_is_kept(console):
    c = console.login("admin")
    stolen = _cookie(c)
    assert c.get("/console").status_code == 200
    token = csrf_of(c.get("/console").text)
    assert c.post("/console/logout", data={"csrf": token}).status_code == 303
    replay = console.client()
    replay.cookies.set("hegui_console", stolen)
    r = replay.get("/console")
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
    with console.gw.services.db.session() as s:
        assert s.scalar(select(ConsoleSession)) is None


def test_the_cookie_holds_no_role_and_a_forged_one_is_worthless(console):
    c = console.login("auditor")
    value = _cookie(c)
    assert "auditor" not in base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("latin-1")
    forged = console.client()
    forged.cookies.set("hegui_console", value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert forged.get("/console").status_code == 303


def test_role_is_read_on_every_request(console):
    c = console.login("reviewer")
    assert c.get("/console/review").status_code == 200
    with console.gw.services.db.session() as s:  # changed behind the console's back
        s.execute(update(AdminUser).where(AdminUser.username == "reviewer").values(role="auditor"))
    token = csrf_of(c.get("/console").text)
    r = c.post("/console/review/no-such-item", data={"csrf": token, "decision": "approve"})
    assert r.status_code == 403 and "auditor" in r.text  # not 404: the role check saw the new role


def test_role_change_and_disable_end_open_sessions(console):
    rv = console.login("reviewer")
    au = console.login("auditor")
    with console.gw.services.db.session() as s:
        admins.set_role(s, "reviewer", "auditor")
        admins.set_active(s, "auditor", False)
    for c in (rv, au):
        r = c.get("/console")
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
    with console.gw.services.db.session() as s:
        assert s.scalar(select(ConsoleSession)) is None


def test_disabled_operator_is_refused_even_with_a_live_session_row(console):
    c = console.login("auditor")
    with console.gw.services.db.session() as s:  # rows left in place: the account check still refuses
        s.execute(update(AdminUser).where(AdminUser.username == "auditor").values(active=False))
    assert c.get("/console").status_code == 303


def test_admin_api_updates_operators_and_their_sessions_end(console):
    gw = console.gw
    rv = console.login("reviewer")
    admin = _basic("admin", gw.admin_password)
    r = gw.client.patch("/admin/api/operators/reviewer", headers=admin, json={"active": False})
    assert r.status_code == 200 and r.json() == {"username": "reviewer", "role": "reviewer", "active": False}
    assert rv.get("/console").status_code == 303
    assert gw.client.patch("/admin/api/operators/nobody", headers=admin, json={"role": "auditor"}).status_code == 404
    with gw.services.db.session() as s:
        assert "operator.updated" in s.scalars(select(AuditEntry.action)).all()


def test_console_login_locks_the_account_even_for_the_right_password(console):
    gw = console.gw
    gw.services.settings.throttle.login_failures_per_account = RULE
    c = console.client()
    for _ in range(3):
        page = c.get("/console/login")
        r = c.post("/console/login", data={"username": "admin", "password": "wrong-password-1",
                                           "csrf": csrf_of(page.text)})
        assert r.status_code == 401
    page = c.get("/console/login")
    r = c.post("/console/login", data={"username": "admin", "password": gw.admin_password, "csrf": csrf_of(page.text)})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "过于频繁" in r.text or "Too many" in r.text
    assert "hegui_console" not in r.cookies
    # the admin API shares the lockout: the same account is refused there too
    r = gw.client.get("/admin/api/apps", headers=_basic("admin", gw.admin_password))
    assert r.status_code == 429 and r.headers["retry-after"]
    with gw.services.db.session() as s:
        targets = s.scalars(select(AuditEntry.target).where(AuditEntry.action == "throttle.limited")).all()
    assert targets == ["throttle:login_failures_per_account"]
