"""/docs, /openapi.json and /metrics are not public by default (issue 9 Low; TC260-003 access control)."""

from __future__ import annotations

import pytest

from hegui.errors import ConfigError
from hegui.settings import load_settings

TOKEN = "metrics-token-0123456789"


def _client(make_services, **settings):  # noqa: ANN001, ANN202
    """An app without the demo bootstrap (production settings verify no demo user)."""
    from fastapi.testclient import TestClient

    from hegui.gateway.app import create_app

    return TestClient(create_app(services=make_services(**settings), migrate=False))


def test_docs_follow_the_demo_model_unless_set(gateway_factory, make_services):
    demo = gateway_factory()
    assert demo.client.get("/docs").status_code == 200
    assert demo.client.get("/openapi.json").status_code == 200
    with _client(make_services, demo_model=False) as prod:
        assert prod.get("/docs").status_code == 404
        assert prod.get("/openapi.json").status_code == 404
    with _client(make_services, demo_model=False, server={"api_docs": True}) as opted_in:
        assert opted_in.get("/openapi.json").json()["paths"]
    opted_out = gateway_factory(server={"api_docs": False})
    assert opted_out.client.get("/docs").status_code == 404


def test_metrics_refused_without_a_configured_token(gateway):
    r = gateway.client.get("/metrics")
    assert r.status_code == 403 and "hegui_requests_total" not in r.text
    err = r.json()["error"]
    assert "metrics_token" in err["message_en"] and "metrics_token" in err["message_zh"]


def test_metrics_need_the_bearer_token(gateway_factory):
    gw = gateway_factory(server={"metrics_token": TOKEN})
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": TOKEN},
                    {"Authorization": f"Basic {TOKEN}"}, gw.headers):  # gw.headers: an app API key is not it
        r = gw.client.get("/metrics", headers=headers)
        assert r.status_code == 401 and "hegui_requests_total" not in r.text, headers
    r = gw.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and "hegui_requests_total" in r.text


def test_metrics_public_only_when_asked(gateway_factory):
    gw = gateway_factory(server={"metrics_public": True})
    assert "hegui_requests_total" in gw.client.get("/metrics").text


def test_short_metrics_token_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_settings(None, var_dir=str(tmp_path), server={"metrics_token": "short"})
    assert "metrics_token" in exc.value.message("en") and "16" in exc.value.message("zh")
