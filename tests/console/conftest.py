"""Console fixtures: the gateway app behind an HTTPS TestClient, and operators of each role."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from hegui.identity import admins

PASSWORDS = {"reviewer": "reviewer-pass-123", "auditor": "auditor-pass-123"}


class Console:
    def __init__(self, gw) -> None:
        self.gw = gw
        self.app = gw.client.app
        self.clients: list[TestClient] = []
        self.made: set[str] = set()

    def client(self) -> TestClient:
        c = TestClient(self.app, base_url="https://testserver", follow_redirects=False)
        self.clients.append(c)
        return c

    def login(self, username: str = "admin", password: str | None = None) -> TestClient:
        if username in PASSWORDS and username not in self.made:
            with self.gw.services.db.session() as s:
                admins.create_admin(s, username, PASSWORDS[username], username)
            self.made.add(username)
        c = self.client()
        password = password or (self.gw.admin_password if username == "admin" else PASSWORDS[username])
        page = c.get("/console/login")
        r = c.post("/console/login", data={"username": username, "password": password, "csrf": csrf_of(page.text),
                                           "next": "/console"})
        assert r.status_code == 303, r.text
        return c


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


@pytest.fixture
def console(gateway):
    con = Console(gateway)
    yield con
    for c in con.clients:
        c.close()
