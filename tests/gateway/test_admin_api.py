"""Admin API: HTTP Basic over argon2, roles enforced, every change audited."""

import base64

from sqlalchemy import select

from hegui.storage.models import AdminUser, AuditEntry


def _basic(user, pw):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()}


def test_admin_manages_apps_and_keys(gateway_factory, db_url):
    gw = gateway_factory(db_url=db_url)
    admin = _basic("admin", gw.admin_password)
    r = gw.client.post("/admin/api/apps", headers=admin, json={"name": "partner-app"})
    assert r.status_code == 200
    key, app_id = r.json()["api_key"], r.json()["app_id"]
    apps = gw.client.get("/admin/api/apps", headers=admin).json()["apps"]
    key_id = next(k["id"] for a in apps if a["app_id"] == app_id for k in a["keys"])
    assert gw.client.get("/v1/models", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert gw.client.delete(f"/admin/api/keys/{key_id}", headers=admin).status_code == 200
    gw.services.authenticator._cache.clear()
    assert gw.client.get("/v1/models", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    with gw.services.db.session() as s:
        actions = s.scalars(select(AuditEntry.action)).all()
        hashes = s.scalars(select(AdminUser.password_hash)).all()
    assert "app.key_issued" in actions and "app.key_revoked" in actions
    assert all(h.startswith("$argon2id$") for h in hashes)


def test_roles_enforced(gateway):
    admin = _basic("admin", gateway.admin_password)
    r = gateway.client.post("/admin/api/operators", headers=admin,
                            json={"username": "rita", "role": "reviewer", "password": "reviewer-pass-1"})
    assert r.status_code == 200
    rita = _basic("rita", "reviewer-pass-1")
    assert gateway.client.get("/admin/api/users", headers=rita).status_code == 200
    r = gateway.client.post("/admin/api/apps", headers=rita, json={"name": "x"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "FORBIDDEN"
    r = gateway.client.get("/admin/api/users", headers=_basic("rita", "wrong-password"))
    assert r.status_code == 401 and "用户名或密码错误" in r.json()["error"]["message_zh"]
    assert gateway.client.get("/admin/api/audit/verify", headers=rita).json()["ok"] is True


def test_users_listed_masked(gateway):
    users = gateway.client.get("/admin/api/users", headers=_basic("admin", gateway.admin_password)).json()["users"]
    demo = next(u for u in users if u["user"] == "demo-user")
    assert demo["id_card"].startswith("1101") and "*" in demo["id_card"] and demo["status"] == "verified"


def test_about_page_discloses(gateway_factory):
    gw = gateway_factory(service={"filing_number": "Beijing-AI-2026-0001"}, server={"metrics_public": True})
    zh = gw.client.get("/about?lang=zh").text
    en = gw.client.get("/about?lang=en").text
    assert "Beijing-AI-2026-0001" in zh and "备案号" in zh and "内容标识方式" in zh
    assert "Filing number" in en and "How content is labeled" in en
    for path in ("/complaints", "/complaints/procedure", "/notices"):  # Interim Measures Art 15
        assert f'href="{path}?lang=zh"' in zh and f'href="{path}?lang=en"' in en
        assert gw.client.get(f"{path}?lang=zh").status_code == 200
    assert "hegui_requests_total" in gw.client.get("/metrics").text
