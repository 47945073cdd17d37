"""Two real ``hegui serve`` processes over one PostgreSQL (docs/deployment.md, "several gateway
processes"): users, rate limits, key revocations, the audit chain and usage records are shared
through the database, not through either process's memory."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import _pg_database, term_moderator

pytestmark = pytest.mark.slow
RATE_LIMIT = 40  # throttle.api_key_requests per key, one window for the whole test
CACHE_TTL = 2.0  # throttle.api_key_cache_seconds


@pytest.fixture
def pg_url():
    yield from _pg_database()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(tmp_path: Path, url: str) -> Path:
    cfg = tmp_path / "hegui.toml"
    cfg.write_text(
        f'var_dir = "{tmp_path / "var"}"\n'
        f'[storage]\nurl = "{url.replace("postgresql://", "postgresql+psycopg://")}"\n'
        '[moderation]\nengine = "terms"\n'
        f'[throttle]\napi_key_cache_seconds = {CACHE_TTL}\n'
        f'api_key_requests = {{ limit = {RATE_LIMIT}, window_seconds = 86400 }}\n', encoding="utf-8")
    return cfg


def _prepare(cfg: Path) -> dict:
    """An operator and an app with keys, made beside the running fleet (as ``hegui admin`` would)."""
    from hegui.app import build_services
    from hegui.identity import admins, apps
    from hegui.settings import load_settings
    from hegui.storage.models import ApiKey

    services = build_services(load_settings(cfg), moderator=term_moderator())
    services.db.upgrade()
    try:
        with services.db.session() as s:
            _, password = admins.create_admin(s, "ops", None, "admin")
            app = apps.create_app(s, "fleet-test")
            keys = {name: apps.issue_key(s, app) for name in ("main", "rate", "revoke", "load")}
            s.flush()
            revoke_id = s.query(ApiKey).filter(ApiKey.prefix == keys["revoke"][:10]).one().id
        return {"password": password, "keys": keys, "revoke_id": revoke_id, "app_id": app.id,
                "agreement": services.agreement.version}
    finally:
        services.db.dispose()


def _start(cfg: Path, port: int) -> subprocess.Popen:
    with open(cfg.parent / f"serve-{port}.log", "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "hegui.cli.main", "serve", "-c", str(cfg), "--port",
                                 str(port), "--log-level", "WARNING"], stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _wait_healthy(base: str, proc: subprocess.Popen, deadline: float) -> None:
    while time.time() < deadline:
        if proc.poll() is not None:
            log = Path(proc.args[5]).parent / f"serve-{proc.args[7]}.log"
            pytest.fail(f"gateway {base} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"gateway {base} did not start")


def test_two_gateways_share_one_postgresql(tmp_path, pg_url):
    cfg = _config(tmp_path, pg_url)
    ports = [_free_port(), _free_port()]
    # both start at once on an empty database and an empty var/: one migrates, one creates the
    # admin, one secret key is made (the others wait or read it)
    procs = [_start(cfg, p) for p in ports]
    try:
        a, b = (f"http://127.0.0.1:{p}" for p in ports)
        deadline = time.time() + 45
        for base, proc in zip((a, b), procs):
            _wait_healthy(base, proc, deadline)
        prep = _prepare(cfg)
        _exercise(a, b, prep, cfg, pg_url)
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def _chat(base: str, key: str, user: str, content: str) -> httpx.Response:
    return httpx.post(base + "/v1/chat/completions", headers=_bearer(key), timeout=20,
                      json={"model": "hegui-demo-chat", "user": user, "messages": [{"role": "user", "content": content}]})


def _exercise(a: str, b: str, prep: dict, cfg: Path, pg_url: str) -> None:
    keys = prep["keys"]
    from hegui.bootstrap import DEMO_ID_NUMBER

    # 1. a user registered, verified and agreed through A chats through B
    main = _bearer(keys["main"])
    assert httpx.post(a + "/v1/hegui/users", headers=main, json={"user": "alice"}).status_code == 200
    r = httpx.post(a + "/v1/hegui/users/alice/verify/id-card", headers=main, json={"id_number": DEMO_ID_NUMBER})
    assert r.status_code == 200, r.text
    r = httpx.post(a + "/v1/hegui/users/alice/agreement", headers=main, json={"version": prep["agreement"]})
    assert r.status_code == 200, r.text
    r = _chat(b, keys["main"], "alice", "你好")
    assert r.status_code == 200, r.text
    assert _chat(b, keys["main"], "mallory", "你好").status_code != 200  # unknown there too: not a cache

    # 2. one per-key limit across both processes: requests alternate A, B, A, …
    codes = [httpx.get((a, b)[i % 2] + "/v1/models", headers=_bearer(keys["rate"]), timeout=10).status_code
             for i in range(RATE_LIMIT + 10)]
    assert codes[:RATE_LIMIT] == [200] * RATE_LIMIT, codes
    assert codes[RATE_LIMIT:] == [429] * 10, codes

    # 3. a key revoked through A: refused by A at once, by B within the cache TTL
    rk = _bearer(keys["revoke"])
    assert httpx.get(b + "/v1/models", headers=rk).status_code == 200  # B now holds it in its cache
    basic = "Basic " + base64.b64encode(f"ops:{prep['password']}".encode()).decode()
    r = httpx.delete(a + f"/admin/api/keys/{prep['revoke_id']}", headers={"Authorization": basic}, timeout=20)
    assert r.status_code == 200, r.text
    revoked_at = time.monotonic()
    assert httpx.get(a + "/v1/models", headers=rk).status_code == 401
    while httpx.get(b + "/v1/models", headers=rk).status_code == 200:
        assert time.monotonic() - revoked_at < CACHE_TTL + 1.0, "B still accepts the revoked key after the TTL"
        time.sleep(0.1)
    assert httpx.get(b + "/v1/models", headers=rk).status_code == 401

    # 4. concurrent writes from both: chats (usage records) and audited admin actions
    acked: list[str] = []
    lock = threading.Lock()

    def chats(i: int) -> None:
        base = (a, b)[i % 2]
        for n in range(7):
            r = _chat(base, keys["load"], "alice", f"q{i}-{n}")
            assert r.status_code == 200, r.text
            with lock:
                acked.append(r.json()["id"])

    def issue(i: int) -> None:
        r = httpx.post((a, b)[i % 2] + f"/admin/api/apps/{prep['app_id']}/keys", headers={"Authorization": basic},
                       timeout=30)
        assert r.status_code == 200, r.text

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(chats, i) for i in range(4)] + [pool.submit(issue, i) for i in range(6)]
        for f in futures:
            f.result()
    assert len(acked) == 28
    engine = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            stored = {row[0] for row in conn.execute(text("SELECT content_id FROM usage_records"))}
            issued = conn.scalar(text("SELECT count(*) FROM audit_log WHERE action = 'app.key_issued' "
                                      "AND target = :t"), {"t": f"app:{prep['app_id']}"})
            admins = conn.scalar(text("SELECT count(*) FROM admin_users"))
            seqs = [row[0] for row in conn.execute(text("SELECT seq FROM audit_log ORDER BY seq"))]
    finally:
        engine.dispose()
    assert set(acked) <= stored, f"{len(set(acked) - stored)} acknowledged outputs have no usage record"
    assert issued == 6
    assert admins == 2  # "admin" made by one of the two first starts, "ops" by the test
    assert seqs == list(range(1, len(seqs) + 1))
    done = subprocess.run([sys.executable, "-m", "hegui.cli.main", "audit", "verify", "-c", str(cfg)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "audit log OK" in done.stdout
