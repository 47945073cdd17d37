"""PIPL-38 localisation, PIPL-23 third-party transfer, IM-7-1 base model (issue 11)."""

from __future__ import annotations

import shutil

from hegui.obligations.register import Status
from hegui.obligations.transfer import base_model_finding, localisation_finding, third_party_finding
from hegui.settings import load_settings

UP = {"name": "acme", "base_url": "https://api.acme.example/v1", "models": ["acme-chat"]}
FILED = {"base_model": "Acme-LM 3", "base_model_provider": "阿克米科技有限公司", "base_model_filing_number": "Beijing-AcmeLM-2024"}


def test_localisation_met_for_sqlite_and_demo_model():
    f = localisation_finding(load_settings(None))
    assert f.status is Status.MET and "inside CN" in f.reason_en


def test_localisation_names_undeclared_and_foreign_places():
    s = load_settings(None, upstreams=[{**UP, "region": "US"}, {**UP, "name": "nowhere", "region": ""}])
    f = localisation_finding(s)
    assert f.status is Status.NOT_MET
    assert "upstream acme (US)" in f.reason_en and "PIPL Arts 38–40" in f.reason_en
    assert "region not declared: upstream nowhere" in f.reason_en


def test_localisation_remote_database_must_be_declared():
    s = load_settings(None, storage={"url": "postgresql+psycopg://u:p@db.internal:5432/hegui"})
    assert localisation_finding(s).status is Status.NOT_MET
    s = load_settings(None, storage={"url": "postgresql+psycopg://u:p@db.internal:5432/hegui", "region": "cn"})
    assert localisation_finding(s).status is Status.MET
    s = load_settings(None, storage={"url": "postgresql+psycopg://u:p@127.0.0.1:5432/hegui"})
    assert localisation_finding(s).status is Status.MET


def test_base_model_not_applicable_on_demo_then_flips():
    assert base_model_finding(load_settings(None)).status is Status.NOT_APPLICABLE
    f = base_model_finding(load_settings(None, upstreams=[{**UP, "base_model": "Acme-LM 3"}]))
    assert f.status is Status.NOT_MET and "base_model_provider" in f.reason_en and "base_model_filing_number" in f.reason_en
    f = base_model_finding(load_settings(None, upstreams=[{**UP, **FILED}]))
    assert f.status is Status.MET and "Beijing-AcmeLM-2024" in f.reason_en


def _sv(db, **overrides):  # noqa: ANN001, ANN003, ANN202
    """What the check reads: settings, the agreement they serve, the database."""
    from types import SimpleNamespace

    from hegui.identity.agreement import current_agreement

    settings = load_settings(None, **overrides)
    return SimpleNamespace(settings=settings, agreement=current_agreement(settings), db=db)


def test_third_party_transfer_needs_the_recipient_named_in_the_agreement(make_services, tmp_path):
    from importlib import resources

    assert third_party_finding(make_services()).status is Status.MET  # no upstream at all
    up = {**UP, **FILED, "region": "CN"}
    db = make_services().db
    f = third_party_finding(_sv(db, upstreams=[up]))
    assert f.status is Status.NOT_MET and "阿克米科技有限公司" in f.reason_en and "PIPL Art 23" in f.reason_en
    # the operator's agreement names the recipient
    shipped = resources.files("hegui") / "data" / "agreement" / "2026-12-01"
    ver = tmp_path / "agr" / "2027-01-01"
    shutil.copytree(str(shipped), ver)
    (ver / "zh.md").write_text((ver / "zh.md").read_text(encoding="utf-8")
                               + "10. 您的输入将提供给第三方模型服务商阿克米科技有限公司处理。\n", encoding="utf-8")
    f = third_party_finding(_sv(db, upstreams=[up], agreement={"directory": str(tmp_path / "agr")}))
    assert f.status is Status.MET and "acme → 阿克米科技有限公司" in f.reason_en
    # not a third party (own model server): nothing to disclose
    assert third_party_finding(_sv(db, upstreams=[{**up, "third_party": False}])).status is Status.MET
