"""Helpers for the cases tests: a gateway plus a form submitter that passes the fill-time check."""

from __future__ import annotations

import time

import pytest

from hegui.cases.routes import form_token


def submit_form(gw, data: dict, files=None, age: float = 10.0, headers=None):
    token = form_token(gw.services.keys.session_key, time.time() - age)
    body = {"ts": token, "website": "", **data}
    return gw.client.post("/complaints?lang=en", data=body, files=files or [], headers=headers or {},
                          follow_redirects=False)


@pytest.fixture
def submit():
    return submit_form
