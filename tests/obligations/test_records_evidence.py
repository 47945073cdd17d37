"""Rows that used to be "met" on a constant now read what the service did (issue 11): each flips
when the records show the control did not hold."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from hegui.obligations import records_evidence as ev
from hegui.obligations.register import Status
from hegui.storage.models import EndUser, UsageContent


def _answered(gateway) -> None:  # noqa: ANN001
    assert gateway.chat("你好").status_code == 200


def _edit_user(gateway, **values) -> None:  # noqa: ANN001, ANN003
    with gateway.services.db.session() as s:
        user = s.scalars(select(EndUser).where(EndUser.external_id == "demo-user")).one()
        for k, v in values.items():
            setattr(user, k, v)


def test_real_name_and_agreement_read_the_answered_requests(gateway):
    _answered(gateway)
    sv = gateway.services
    assert ev.real_name_finding(sv).status is Status.MET
    assert ev.agreement_finding(sv).status is Status.MET
    _edit_user(gateway, status="pending")
    f = ev.real_name_finding(sv)
    assert f.status is Status.NOT_MET and "1 answer(s) went to unverified users" in f.reason_en
    _edit_user(gateway, status="verified", agreement_accepted_at=None)
    f = ev.agreement_finding(sv)
    assert f.status is Status.NOT_MET and "never accepted" in f.reason_en


def test_content_retention_fails_on_unpurged_or_unsealed_content(gateway):
    _answered(gateway)
    sv = gateway.services
    assert ev.content_retention_finding(sv).status is Status.MET
    with sv.db.session() as s:
        row = s.scalars(select(UsageContent)).first()
        row.prompt_enc = b"plain text, not sealed"
    f = ev.content_retention_finding(sv)
    assert f.status is Status.NOT_MET and "does not open" in f.reason_en
    with sv.db.session() as s:
        s.scalars(select(UsageContent)).first().expires_at = dt.datetime.now(dt.timezone.utc).replace(
            tzinfo=None) - dt.timedelta(days=3)
    f = ev.content_retention_finding(sv)
    assert f.status is Status.NOT_MET and "purge job is not running" in f.reason_en


def test_pi_at_rest_fails_on_a_clear_number_or_a_stray_full_value(gateway):
    sv = gateway.services
    gateway.verified_user("u-pi")
    assert ev.pi_at_rest_finding(sv).status is Status.MET
    with sv.db.session() as s:
        user = s.scalars(select(EndUser).where(EndUser.external_id == "u-pi")).one()
        user.id_enc = b"\x00sealed?"
    f = ev.pi_at_rest_finding(sv)
    assert f.status is Status.NOT_MET and "store_full_identity is off" in f.reason_en
    with sv.db.session() as s:
        user = s.scalars(select(EndUser).where(EndUser.external_id == "u-pi")).one()
        user.id_enc, user.id_masked = None, "11010519491231002X"
    f = ev.pi_at_rest_finding(sv)
    assert f.status is Status.NOT_MET and "1 identity number(s) stored in clear" in f.reason_en


def test_upstream_resilience_needs_bounded_timeouts():
    from types import SimpleNamespace

    from hegui.settings import load_settings

    def services(**up):  # noqa: ANN003, ANN202 - the check reads the settings only
        base = {"name": "slow", "base_url": "http://127.0.0.1:9/v1", "models": ["m"]}
        return SimpleNamespace(settings=load_settings(None, upstreams=[{**base, **up}]))

    assert ev.upstream_resilience_finding(services()).status is Status.MET
    f = ev.upstream_resilience_finding(services(timeout_seconds=3600))
    assert f.status is Status.NOT_MET and "slow" in f.reason_en


def test_no_label_removal_sees_a_removal_method(make_services, monkeypatch):
    from hegui.labeling.carriers import default_registry

    sv = make_services()
    assert ev.no_label_removal_finding(sv).status is Status.MET
    carrier = next(iter(default_registry()))
    monkeypatch.setattr(type(carrier), "strip_label", lambda self, data: data, raising=False)
    f = ev.no_label_removal_finding(sv)
    assert f.status is Status.NOT_MET and "strip_label" in f.reason_en
