"""DS-14 (separate consent before a face or voice is edited; DS Provisions Art 14(2)) rests on a
self-test of the consent check and on the voice-clone/face-swap records; each flips it."""

from __future__ import annotations

from hegui.likeness.consent import ConsentRegistry
from hegui.obligations import consent_evidence, evidence
from hegui.obligations.register import Status, evaluate
from hegui.records.usage import PendingRecord, new_content_id


def _row(sv):
    return {r.duty.id: r.finding for r in evaluate(sv)[1]}["DS-14"]


def _served(sv, endpoint="voice.clone", consent_id=None, user_id="u1", app_id="app1"):
    sv.writer.write(PendingRecord(request_id="r-" + new_content_id(), endpoint=endpoint, app_id=app_id,
                                  user_id=user_id, status="ok", consent_id=consent_id, content_id=new_content_id()))


def test_met_on_a_fresh_install_by_the_self_test(make_services):
    f = _row(make_services())
    assert f.status is Status.MET and "self-test passed" in f.reason_en and "all 0" in f.reason_en


def test_a_record_served_without_consent_is_not_met(make_services):
    sv = make_services()
    reg = ConsentRegistry(sv.db, sv.keys)
    c = reg.grant(kind="voice", uses=["voice_clone"], subject_ref="s", method="in_app_confirmation",
                  confirmation="t", actor="admin", app_id="app1")
    _served(sv, consent_id=c.id)
    assert evidence.biometric_consent_finding(sv).status is Status.MET
    _served(sv, consent_id=None)  # an ok clone without consent
    f = evidence.biometric_consent_finding(sv)
    assert f.status is Status.NOT_MET and ": missing" in f.reason_en and "没有有效的单独同意" in f.reason_zh


def test_records_after_revocation_or_for_another_use_are_not_met(make_services, db_url):
    sv = make_services(db_url=db_url)
    reg = ConsentRegistry(sv.db, sv.keys)
    c = reg.grant(kind="voice", uses=["voice_clone"], subject_ref="s", method="in_app_confirmation",
                  confirmation="t", actor="admin", app_id="app1")
    _served(sv, endpoint="face.swap", consent_id=c.id)  # a voice consent does not cover a face swap
    assert "wrong_use" in evidence.biometric_consent_finding(sv).reason_en
    sv2 = make_services()
    reg2 = ConsentRegistry(sv2.db, sv2.keys)
    c2 = reg2.grant(kind="face", uses=["face_swap"], subject_ref="s", method="in_app_confirmation",
                    confirmation="t", actor="admin", app_id="app1")
    reg2.revoke(c2.id, "withdrawn", "admin")
    _served(sv2, endpoint="face.swap", consent_id=c2.id)  # served after the revocation
    f = evidence.biometric_consent_finding(sv2)
    assert f.status is Status.NOT_MET and "revoked" in f.reason_en
    _, problems = consent_evidence.unconsented_records(sv2.db)
    assert len(problems) == 1


def test_self_test_fails_when_the_check_lets_a_revoked_consent_through(make_services, monkeypatch):
    import hegui.likeness.consent as consent

    real = consent.decide

    def lax(row, *a, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        if row is not None:
            row.revoked_at = None  # a check that ignores revocations
        return real(row, *a, **kw)

    monkeypatch.setattr(consent, "decide", lax)
    f = evidence.biometric_consent_finding(make_services())
    assert f.status is Status.NOT_MET and "after the revocation was not refused" in f.reason_en
