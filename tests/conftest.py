"""Shared fixtures: databases (SQLite and a real PostgreSQL), services and a gateway client.

``HEGUI_TEST_POSTGRES_URL`` names a PostgreSQL server (scripts/test.sh starts one on loopback).
Without it, PostgreSQL cases are skipped locally and fail under CI (``CI=true``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hegui.moderation.base import Moderator

PG_URL = os.environ.get("HEGUI_TEST_POSTGRES_URL", "")


def _pg_database() -> Iterator[str]:
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("HEGUI_TEST_POSTGRES_URL is not set under CI: run the suite through scripts/test.sh")
        pytest.skip("no PostgreSQL server (set HEGUI_TEST_POSTGRES_URL or run scripts/test.sh)")
    import psycopg

    name = "hegui_t_" + uuid.uuid4().hex[:12]
    admin = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/hegui.db"
    else:
        yield from _pg_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/hegui.db"


_MODERATOR: list[Moderator] = []
TEST_TERMS = {"制作炸弹": "A1h", "forbidden-term": "A1f"}


def term_moderator() -> Moderator:
    """A fixed, tiny moderator for tests of the gateway's mechanics (engine-independent)."""
    from hegui.moderation.simple import TermListModerator

    return TermListModerator(TEST_TERMS)


def shared_moderator() -> Moderator:
    """The real policy engine, loaded once per test session (it is immutable while serving)."""
    if not _MODERATOR:
        from hegui.app import build_moderator
        from hegui.settings import HeguiSettings

        _MODERATOR.append(build_moderator(HeguiSettings()))
    return _MODERATOR[0]


@pytest.fixture
def make_services(tmp_path: Path):
    """Factory: ``make_services(db_url=None, moderator=None, **setting_overrides)``."""
    from hegui.app import build_services
    from hegui.identity.sms import LogSmsSender
    from hegui.settings import load_settings

    made = []

    def make(db_url: str | None = None, moderator: Moderator | None = None, upstreams=None, **overrides):
        var = tmp_path / f"var{len(made)}"
        storage = {"url": db_url or f"sqlite:///{var}/hegui.db"}
        settings = load_settings(None, var_dir=str(var), storage=storage, **overrides)
        services = build_services(settings, moderator=moderator or term_moderator(), sms=LogSmsSender(),
                                  upstreams=upstreams)
        services.db.upgrade()
        made.append(services)
        return services

    yield make
    for s in made:
        s.db.dispose()


class Gateway:
    """A TestClient plus the demo credentials, with helpers to make users."""

    def __init__(self, services, client, first) -> None:  # noqa: ANN001
        self.services = services
        self.client = client
        self.api_key = first.api_key
        self.admin_password = first.admin_password
        self.headers = {"Authorization": f"Bearer {first.api_key}"}

    def chat(self, text: str, user: str = "demo-user", **kw):  # noqa: ANN201
        body = {"model": "hegui-demo-chat", "messages": [{"role": "user", "content": text}], "user": user, **kw}
        return self.client.post("/v1/chat/completions", headers=self.headers, json=body)

    def post(self, path: str, body: dict):  # noqa: ANN201
        return self.client.post(path, headers=self.headers, json=body)

    def verified_user(self, name: str, id_number: str | None = None, accept: bool = True) -> str:
        from hegui.bootstrap import DEMO_ID_NUMBER

        assert self.post("/v1/hegui/users", {"user": name}).status_code == 200
        r = self.post(f"/v1/hegui/users/{name}/verify/id-card", {"id_number": id_number or DEMO_ID_NUMBER})
        assert r.status_code == 200, r.text
        if accept:
            r = self.post(f"/v1/hegui/users/{name}/agreement", {"version": self.services.agreement.version})
            assert r.status_code == 200, r.text
        return name


@pytest.fixture
def gateway_factory(make_services):
    from fastapi.testclient import TestClient

    from hegui.app import create_app
    from hegui.bootstrap import bootstrap

    clients = []

    def make(**kw) -> Gateway:
        services = make_services(**kw)
        app = create_app(services=services, migrate=False)
        first = bootstrap(services, demo=True)
        client = TestClient(app)
        clients.append(client)
        return Gateway(services, client, first)

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def gateway(gateway_factory) -> Gateway:
    return gateway_factory()
