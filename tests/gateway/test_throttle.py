"""Rate limits and lockouts: wrong API keys, operator logins (console and admin Basic), SMS sends.

Counters live in the database, so they hold across gateway processes; run on SQLite and, with
HEGUI_TEST_POSTGRES_URL, PostgreSQL.
"""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from hegui.identity.crypto import KeyRing
from hegui.settings import ThrottleSettings
from hegui.storage.db import Database
from hegui.storage.models import AuditEntry
from hegui.throttle.errors import RateLimited
from hegui.throttle.limiter import Throttle

RULE = {"limit": 3, "window_seconds": 60, "lockout_seconds": 600}


def _basic(user: str, pw: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()}


def _limited(gw) -> list[AuditEntry]:
    with gw.services.db.session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "throttle.limited")))


def test_wrong_api_keys_lock_the_address_with_429_and_retry_after(gateway_factory, db_url):
    gw = gateway_factory(db_url=db_url, throttle={"api_key_failures_per_ip": RULE})
    bad = {"Authorization": "Bearer hg-not-a-real-key"}
    for _ in range(3):
        assert gw.client.get("/v1/models", headers=bad).status_code == 401
    r = gw.client.get("/v1/models", headers=bad)
    assert r.status_code == 429 and 0 < int(r.headers["retry-after"]) <= 600
    err = r.json()["error"]
    assert err["code"] == "THROTTLED" and err["type"] == "rate_limit_error"
    assert "过于频繁" in err["message_zh"] and "retry after" in err["message_en"]
    assert err["message"] == err["message_zh"]  # Chinese unless the client asks for English
    en = gw.client.get("/v1/models", headers={**bad, "Accept-Language": "en"}).json()["error"]["message"]
    assert en.startswith("Too many")
    # the address is locked for every key it has not already proved (no guessing around the lock)
    assert gw.client.get("/v1/models", headers=gw.headers).status_code == 429
    entries = _limited(gw)
    assert len(entries) == 1 and entries[0].target == "throttle:api_key_failures_per_ip"  # audited once


def test_admin_basic_attempts_lock_the_address(gateway_factory, db_url):
    gw = gateway_factory(db_url=db_url, throttle={"login_failures_per_ip": RULE})
    for name in ("admin", "alice", "bob"):  # different accounts, one address
        assert gw.client.get("/admin/api/apps", headers=_basic(name, "guess-guess-1")).status_code == 401
    r = gw.client.get("/admin/api/apps", headers=_basic("admin", gw.admin_password))
    assert r.status_code == 429 and r.json()["error"]["code"] == "THROTTLED"


def test_a_right_login_clears_the_accounts_own_count(gateway_factory):
    gw = gateway_factory(throttle={"login_failures_per_account": RULE})
    for _ in range(2):
        assert gw.client.get("/admin/api/apps", headers=_basic("admin", "wrong-pass-1")).status_code == 401
    assert gw.client.get("/admin/api/apps", headers=_basic("admin", gw.admin_password)).status_code == 200
    for _ in range(2):  # would be the 3rd and 4th failure without the reset
        assert gw.client.get("/admin/api/apps", headers=_basic("admin", "wrong-pass-1")).status_code == 401
    assert gw.client.get("/admin/api/apps", headers=_basic("admin", gw.admin_password)).status_code == 200


def test_sms_to_one_number_is_limited(gateway_factory, db_url):
    gw = gateway_factory(db_url=db_url)  # defaults: 1 a minute per number
    for name in ("sms-a", "sms-b"):
        assert gw.post("/v1/hegui/users", {"user": name}).status_code == 200
    assert gw.post("/v1/hegui/users/sms-a/verify/mobile", {"phone": "13800138000"}).status_code == 200
    sent = dict(gw.services.sms.sent)
    for name in ("sms-a", "sms-b"):  # a second account does not get around the per-number limit
        r = gw.post(f"/v1/hegui/users/{name}/verify/mobile", {"phone": "+86 138 0013 8000"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) <= 60
        assert "验证码" in r.json()["error"]["message_zh"]
    assert gw.services.sms.sent == sent  # nothing more was sent
    assert gw.post("/v1/hegui/users/sms-b/verify/mobile", {"phone": "13900139000"}).status_code == 200


def test_sms_per_user_limit(gateway_factory):
    gw = gateway_factory(throttle={"sms_per_user": {"limit": 2, "window_seconds": 3600}})
    gw.post("/v1/hegui/users", {"user": "hopper"})
    for phone in ("13800000001", "13800000002"):
        assert gw.post("/v1/hegui/users/hopper/verify/mobile", {"phone": phone}).status_code == 200
    r = gw.post("/v1/hegui/users/hopper/verify/mobile", {"phone": "13800000003"})
    assert r.status_code == 429 and "13800000003" not in gw.services.sms.sent


def test_per_key_request_limit(gateway_factory):
    gw = gateway_factory(throttle={"api_key_requests": {"limit": 2, "window_seconds": 60}})
    assert [gw.client.get("/v1/models", headers=gw.headers).status_code for _ in range(3)] == [200, 200, 429]


def test_revoked_key_stops_at_once(gateway_factory):
    gw = gateway_factory()
    admin = _basic("admin", gw.admin_password)
    r = gw.client.post("/admin/api/apps", headers=admin, json={"name": "short-lived"})
    key, app_id = r.json()["api_key"], r.json()["app_id"]
    assert gw.client.get("/v1/models", headers={"Authorization": f"Bearer {key}"}).status_code == 200  # cached now
    apps = gw.client.get("/admin/api/apps", headers=admin).json()["apps"]
    key_id = next(k["id"] for a in apps if a["app_id"] == app_id for k in a["keys"])
    assert gw.client.delete(f"/admin/api/keys/{key_id}", headers=admin).status_code == 200
    assert gw.client.get("/v1/models", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    assert gw.services.authenticator.ttl == 5.0  # other processes: within seconds, not 30


# -- the counter itself ----------------------------------------------------------------------------
class Clock:
    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _throttles(db_url: str, n: int, clock: Clock, var_dir=None, **rules) -> list[Throttle]:  # noqa: ANN001
    from hegui.records.protection import protect

    settings = ThrottleSettings(**rules)
    keys = KeyRing(b"k" * 48)
    out = []
    for _ in range(n):  # separate engines: like separate gateway processes on one database
        db = Database(db_url)
        protect(db, keys, var_dir)  # lockouts are audited: the audit log needs its key and anchor
        out.append(Throttle(db, settings, keys, clock=clock))
    out[0].db.upgrade()
    return out


def test_processes_share_one_count_and_locks_expire(db_url, tmp_path):
    clock = Clock()
    a, b = _throttles(db_url, 2, clock, tmp_path / "var", login_failures_per_account=RULE)
    a.hit("login_failures_per_account", "admin", refuse=False)
    b.hit("login_failures_per_account", "admin", refuse=False)
    a.peek("login_failures_per_account", "admin")  # two failures: still allowed
    b.hit("login_failures_per_account", "admin", refuse=False)
    for t in (a, b):
        with pytest.raises(RateLimited) as exc:
            t.peek("login_failures_per_account", "admin")
        assert exc.value.retry_after == 600
    clock.t += 599
    with pytest.raises(RateLimited) as exc:
        b.peek("login_failures_per_account", "admin")
    assert exc.value.retry_after == 1
    clock.t += 1
    a.peek("login_failures_per_account", "admin")  # the lockout is over
    assert a.hit("login_failures_per_account", "admin", refuse=False) == 1  # and counting restarts
    for t in (a, b):
        t.db.dispose()


def test_concurrent_hits_never_exceed_the_limit(db_url, tmp_path):
    clock = Clock()
    throttles = _throttles(db_url, 4, clock, tmp_path / "var", sms_per_app={"limit": 5, "window_seconds": 3600})

    def one(i: int) -> bool:
        try:
            throttles[i % 4].hit("sms_per_app", "app-1")
            return True
        except RateLimited:
            return False

    with ThreadPoolExecutor(8) as pool:
        allowed = list(pool.map(one, range(24)))
    assert sum(allowed) == 5
    clock.t += 3600  # next window
    assert throttles[0].hit("sms_per_app", "app-1") == 1
    for t in throttles:
        t.db.dispose()


def test_client_address_only_from_trusted_proxies(tmp_path):
    t = Throttle(Database(f"sqlite:///{tmp_path}/t.db"), ThrottleSettings(trusted_proxies=["10.0.0.0/8"]),
                 KeyRing(b"k" * 48))
    assert t.client_ip("203.0.113.9", "1.2.3.4") == "203.0.113.9"  # an untrusted peer cannot claim another
    assert t.client_ip("10.0.0.2", "1.2.3.4, 198.51.100.7") == "198.51.100.7"
    assert t.client_ip("10.0.0.2", "198.51.100.7, 10.0.0.9") == "198.51.100.7"
    assert t.client_ip(None, None) == "unknown"


def test_the_migration_matches_the_models_and_goes_both_ways(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from hegui.storage.all_models import load_all
    from hegui.storage.migrate import upgrade

    db = Database(db_url)
    db.upgrade()
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), load_all().metadata) == []
    from alembic import command

    from hegui.storage.migrate import _config

    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "fc2a21feffa4")
    upgrade(db.engine)
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), load_all().metadata) == []
    db.dispose()
