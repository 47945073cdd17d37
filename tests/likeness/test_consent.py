"""Separate consents (DS Provisions Art 14(2); PIPL Arts 28–29, 31; Civil Code Art 994): grant,
check, revoke with effect, deceased persons, sealed PI, audit entries."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from hegui.errors import ValidationFailed
from hegui.likeness.consent import ConsentRegistry, in_force, view
from hegui.likeness.errors import ConsentNotFound, ConsentRequired
from hegui.likeness.models import LikenessConsent
from hegui.records.audit import verify
from hegui.storage.models import AuditEntry

NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture
def reg(make_services, db_url) -> ConsentRegistry:
    sv = make_services(db_url=db_url)  # SQLite, and PostgreSQL where a server is configured
    return ConsentRegistry(sv.db, sv.keys)


def _grant(reg: ConsentRegistry, **kw):
    args = dict(kind="voice", uses=["voice_clone"], subject_ref="actor-7", subject_name="张三", method="in_app_confirmation",
                confirmation="tok-123", actor="admin:root", app_id="app1")
    return reg.grant(**{**args, **kw})


def test_grant_check_revoke_with_effect(reg):
    c = _grant(reg)
    assert reg.check("voice", "voice_clone", c.id, "app1", "u1").ok
    between = dt.datetime.now(dt.timezone.utc)
    d = reg.check("voice", "voice_clone", None, "app1", "u1")
    assert d.status == "missing" and "consent_id" in d.reason_en and "单独同意" in d.reason_zh
    err = d.error()
    assert isinstance(err, ConsentRequired) and err.http_status == 403 and "Art 14(2)" in err.message("en")
    assert reg.check("voice", "voice_clone", "nope", "app1", "u1").status == "not_found"
    assert reg.check("voice", "voice_clone", c.id, "app2", "u1").status == "not_found"  # app-scoped
    assert reg.check("voice", "tts_voice", c.id, "app1", "u1").status == "wrong_use"
    assert reg.check("face", "face_swap", c.id, "app1", "u1").status == "wrong_use"
    reg.revoke(c.id, "withdrawn by the subject", "admin:root")
    d = reg.check("voice", "voice_clone", c.id, "app1", "u1")
    assert d.status == "revoked" and c.id in d.reason_en and "撤回" in d.reason_zh
    with pytest.raises(ValidationFailed):
        reg.revoke(c.id, "again", "admin:root")
    # the check at a time before the revocation still says it was in force then (records)
    assert reg.check("voice", "voice_clone", c.id, "app1", "u1", at=between).ok


def test_validity_window_and_user_scope(reg):
    c = _grant(reg, user_id="u1", valid_from=NOW + dt.timedelta(days=1), valid_until=NOW + dt.timedelta(days=2))
    assert reg.check("voice", "voice_clone", c.id, "app1", "u1").status == "not_yet_valid"
    assert reg.check("voice", "voice_clone", c.id, "app1", "u1", at=NOW + dt.timedelta(days=1, hours=1)).ok
    assert reg.check("voice", "voice_clone", c.id, "app1", "u2", at=NOW + dt.timedelta(days=1, hours=1)).status \
        == "wrong_user"
    d = reg.check("voice", "voice_clone", c.id, "app1", "u1", at=NOW + dt.timedelta(days=3))
    assert d.status == "expired" and "expired" in d.reason_en and "到期" in d.reason_zh
    with pytest.raises(ValidationFailed, match="later than"):
        _grant(reg, valid_from=NOW, valid_until=NOW - dt.timedelta(days=1))
    with pytest.raises(ValidationFailed, match="must name its app"):
        _grant(reg, app_id=None, user_id="u1")


def test_deceased_needs_a_close_relative(reg):
    with pytest.raises(ValidationFailed, match="Civil Code Art 994"):
        _grant(reg, deceased=True)  # party subject
    with pytest.raises(ValidationFailed, match="relation must be"):
        _grant(reg, deceased=True, party="relative")
    with pytest.raises(ValidationFailed, match="no spouse, child or parent"):
        _grant(reg, deceased=True, party="relative", relation="sibling")
    c = _grant(reg, deceased=True, party="relative", relation="sibling", no_closer_relative=True)
    assert c.relation == "sibling" and c.deceased
    assert _grant(reg, deceased=True, party="relative", relation="Spouse").relation == "spouse"
    with pytest.raises(ValidationFailed, match="only for a deceased"):
        _grant(reg, party="relative", relation="spouse")
    assert _grant(reg, party="guardian").relation == "guardian"  # a child under 14 (PIPL Art 31)


def test_methods_and_evidence_sealed(reg, make_services):
    doc = b"%PDF-1.4 signed consent of actor-7"
    c = _grant(reg, method="signed_upload", evidence=doc, confirmation=None, reference_embedding=b"\x00" * 512)
    import hashlib

    assert c.evidence_sha256 == hashlib.sha256(doc).hexdigest()
    assert doc not in c.evidence_enc and "张三".encode() not in (c.subject_name_enc or b"")
    assert reg.evidence(c) == doc and reg.subject_name(c) == "张三" and reg.reference_embedding(c) == b"\x00" * 512
    assert c.subject_hmac == reg.subject_hmac("actor-7") and "actor-7" not in c.subject_hmac
    with pytest.raises(ValidationFailed, match="signed consent document"):
        _grant(reg, method="signed_upload", confirmation=None)
    with pytest.raises(ValidationFailed, match="not a confirmation token"):
        _grant(reg, method="signed_upload", evidence=doc)
    with pytest.raises(ValidationFailed, match="larger than"):
        _grant(reg, method="signed_upload", confirmation=None, evidence=b"x" * 10_000_001)
    with pytest.raises(ValidationFailed, match="confirmation is required"):
        _grant(reg, confirmation="")
    with pytest.raises(ValidationFailed, match="uses must be"):
        _grant(reg, uses=["face_swap"])
    with pytest.raises(ValidationFailed, match="kind must be"):
        _grant(reg, kind="body")
    shown = view(reg.get(c.id))
    assert shown["in_force"] and shown["has_reference"] and "张三" not in str(shown)


def test_every_change_is_audited_without_pi(reg):
    c = _grant(reg)
    reg.revoke(c.id, "subject asked", "admin:root")
    with reg.db.session() as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.target == f"likeness_consent:{c.id}")
                                 .order_by(AuditEntry.seq)))
        assert [e.action for e in entries] == ["likeness.consent.grant", "likeness.consent.revoke"]
        assert all("张三" not in str(e.detail) and "tok-123" not in str(e.detail) for e in entries)
        assert entries[1].detail["reason"] == "subject asked"
        assert verify(s).ok


def test_list_and_scoping(reg):
    a = _grant(reg)
    b = _grant(reg, app_id="app2", kind="face", uses=["face_swap", "face_edit"])
    reg.revoke(b.id, "r", "admin")
    assert {r.id for r in reg.list()} == {a.id, b.id}
    assert [r.id for r in reg.list(app_id="app1")] == [a.id]
    assert [r.id for r in reg.list(active_only=True)] == [a.id]
    assert [r.id for r in reg.list(subject_ref="actor-7", kind="face")] == [b.id]
    with pytest.raises(ConsentNotFound):
        reg.get(b.id, app_id="app1")
    with pytest.raises(ConsentNotFound):
        reg.revoke(b.id, "r", "app:app1", app_id="app1")
    with reg.db.session() as s:
        row = s.get(LikenessConsent, a.id)
        assert in_force(row, dt.datetime.now(dt.timezone.utc))
