"""Real-name verification: the verifier seam, identities bound to the person (sanctions, minor
status, account cap) and mobile-only users in minor mode. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hegui import codes
from hegui.errors import ConfigError
from hegui.identity import apps
from hegui.identity.errors import IdNotConfirmed
from hegui.identity.verifiers import DevelopmentIdVerifier, build_id_verifier, normalise_id_number
from hegui.settings import load_settings
from hegui.storage.models import EndUser, VerifiedIdentity

ALL_DAY = {"quiet_start": "00:00", "quiet_end": "23:59:59"}
NO_QUIET = {"quiet_start": "03:00", "quiet_end": "03:00"}


def _id(born: str = "19850612", seq: str = "456") -> str:
    first = f"310104{born}{seq}"
    return first + codes.id_card_check_digit(first)


def _fullwidth(number: str) -> str:
    return " ".join(number[i:i + 6] for i in range(0, 18, 6)).translate(
        str.maketrans("0123456789X", "０１２３４５６７８９ｘ"))


class RegisterVerifier:
    """Stands in for a real register check: only the people it knows are confirmed."""

    name = "test-register"

    def confirm(self, number: str, person_name: str | None) -> None:
        from hegui.bootstrap import DEMO_ID_NUMBER

        if number != DEMO_ID_NUMBER:
            raise IdNotConfirmed(detail="number and name do not match the register")


def register_verifier(settings) -> RegisterVerifier:  # noqa: ANN001
    return RegisterVerifier()


def _uid(gw, name: str) -> str:
    with gw.services.db.session() as s:
        return s.scalar(select(EndUser.id).where(EndUser.external_id == name))


def _verify(gw, name: str, number: str):  # noqa: ANN202
    gw.post("/v1/hegui/users", {"user": name})
    return gw.post(f"/v1/hegui/users/{name}/verify/id-card", {"id_number": number})


def test_development_verifier_is_refused_outside_demo_mode(tmp_path):
    with pytest.raises(ConfigError) as exc:
        build_id_verifier(load_settings(None, var_dir=str(tmp_path), demo_model=False,
                                        identity={"id_card_verifier": "development"}))
    assert "demo_model" in exc.value.message("en") and "编造" in exc.value.message("zh")
    dev = build_id_verifier(load_settings(None, var_dir=str(tmp_path)))
    assert isinstance(dev, DevelopmentIdVerifier) and "checksum-only" in dev.name


def test_without_a_verifier_no_id_number_becomes_verified(make_services, db_url):
    from hegui.app import create_app

    services = make_services(db_url=db_url, demo_model=False)
    with services.db.session() as s:
        key = apps.issue_key(s, apps.create_app(s, "prod-app"))
    with TestClient(create_app(services=services, migrate=False)) as client:
        h = {"Authorization": f"Bearer {key}"}
        client.post("/v1/hegui/users", headers=h, json={"user": "p1"})
        r = client.post("/v1/hegui/users/p1/verify/id-card", headers=h, json={"id_number": _id()})
        assert r.status_code == 503
        err = r.json()["error"]
        assert err["code"] == "ID_VERIFIER_UNAVAILABLE" and "身份核验" in err["message_zh"]
        assert client.get("/v1/hegui/users/p1", headers=h).json()["status"] == "pending"


def test_a_configured_verifier_decides(gateway_factory):
    gw = gateway_factory(identity={"id_card_verifier": f"{__name__}:register_verifier"})
    r = _verify(gw, "made-up", _id())  # the check digit is right; the register says no
    assert r.status_code == 400 and r.json()["error"]["code"] == "ID_NOT_CONFIRMED"
    assert gw.client.get("/v1/hegui/users/made-up", headers=gw.headers).json()["status"] == "pending"


def test_one_identity_verifies_at_most_the_configured_accounts(gateway_factory, db_url):
    gw = gateway_factory(db_url=db_url, identity={"accounts_per_identity": 2})
    number = _id()
    assert _verify(gw, "acct-1", number).status_code == 200
    assert _verify(gw, "acct-2", number.lower()).status_code == 200
    assert _verify(gw, "acct-2", number).status_code == 200  # verifying again is not another account
    r = _verify(gw, "acct-3", _fullwidth(number))  # the same number, written differently
    assert r.status_code == 403
    err = r.json()["error"]
    assert err["code"] == "IDENTITY_ACCOUNT_LIMIT" and "2" in err["message_zh"] and "maximum" in err["message_en"]
    assert _verify(gw, "acct-3", _id(seq="457")).status_code == 200  # another person is fine
    with gw.services.db.session() as s:
        refs = s.scalars(select(VerifiedIdentity.ref)).all()
        assert number not in " ".join(refs) and len(refs[0]) == 64


def test_a_sanction_follows_the_person_to_a_new_account(gateway_factory, db_url):
    gw = gateway_factory(db_url=db_url)
    number = _id()
    gw.verified_user("banned", id_number=number)
    gw.client.app.state.case_desk.sanction(_uid(gw, "banned"), "terminate", "repeated illegal content",
                                           "console:admin")
    gw.verified_user("fresh-start", id_number=_fullwidth(number))
    r = gw.chat("你好", user="fresh-start")
    assert r.status_code == 403 and r.json()["error"]["code"] == "USER_SANCTIONED"
    assert "repeated illegal content" in r.json()["error"]["message_en"]
    gw.verified_user("someone-else", id_number=_id(seq="789"))
    assert gw.chat("你好", user="someone-else").status_code == 200


def _mobile(gw, name: str, phone: str) -> None:
    gw.post("/v1/hegui/users", {"user": name})
    ch = gw.post(f"/v1/hegui/users/{name}/verify/mobile", {"phone": phone}).json()["challenge_id"]
    r = gw.post(f"/v1/hegui/users/{name}/verify/mobile/confirm",
                {"challenge_id": ch, "code": gw.services.sms.sent[phone], "phone": phone})
    assert r.status_code == 200, r.text
    assert gw.post(f"/v1/hegui/users/{name}/agreement", {"version": gw.services.agreement.version}).status_code == 200


def test_a_sanction_follows_the_verified_mobile_number(gateway_factory):
    gw = gateway_factory()
    _mobile(gw, "phone-banned", "13700137000")
    gw.client.app.state.case_desk.sanction(_uid(gw, "phone-banned"), "terminate", "fraud", "console:admin")
    gw.services.settings.throttle.sms_per_phone.limit = 0  # allow the second code to the same number
    _mobile(gw, "phone-again", "13700137000")
    assert gw.chat("hi", user="phone-again").json()["error"]["code"] == "USER_SANCTIONED"


def test_mobile_only_users_are_in_minor_mode_until_an_id_check(gateway_factory, db_url):
    gw = gateway_factory(db_url=db_url, minors=ALL_DAY)
    _mobile(gw, "phone-only", "13600136000")
    r = gw.chat("你好", user="phone-only")
    assert r.status_code == 403
    err = r.json()["error"]
    assert err["code"] == "MINOR_MODE_RESTRICTED" and "身份证核验" in err["message_zh"] and "ID-card" in err["message_en"]
    assert _verify(gw, "phone-only", _id()).status_code == 200  # confirmed adult
    assert gw.chat("你好", user="phone-only").status_code == 200


def test_mobile_only_users_get_the_strictest_daily_limit(gateway_factory):
    gw = gateway_factory(minors={**NO_QUIET, "daily_requests_under_16": 2})
    _mobile(gw, "phone-kid", "13500135000")
    assert [gw.chat("你好", user="phone-kid").status_code for _ in range(3)] == [200, 200, 403]


def test_minor_status_is_the_persons(gateway_factory):
    gw = gateway_factory(minors=ALL_DAY)
    teen = _id(born="20120101", seq="111")
    gw.verified_user("teen-1", id_number=teen)
    gw.verified_user("teen-2", id_number=_fullwidth(teen))
    for name in ("teen-1", "teen-2"):
        assert gw.chat("你好", user=name).json()["error"]["code"] == "MINOR_MODE_RESTRICTED"
    with gw.services.db.session() as s:
        users = s.scalars(select(EndUser).where(EndUser.external_id.in_(("teen-1", "teen-2")))).all()
        person = s.get(VerifiedIdentity, users[0].identity_ref)
    assert person.adult_on is not None and all(u.adult_on == person.adult_on for u in users)
    assert len({u.identity_ref for u in users}) == 1


def test_identity_checks_are_rate_limited(gateway_factory):
    gw = gateway_factory(throttle={"id_checks_per_user": {"limit": 2, "window_seconds": 86400}})
    gw.post("/v1/hegui/users", {"user": "guesser"})
    for seq in ("001", "002"):
        assert gw.post("/v1/hegui/users/guesser/verify/id-card", {"id_number": _id(seq=seq)}).status_code == 200
    r = gw.post("/v1/hegui/users/guesser/verify/id-card", {"id_number": _id(seq="003")})
    assert r.status_code == 429 and r.headers["retry-after"]


def test_id_numbers_are_normalised():
    number = _id()
    assert normalise_id_number(_fullwidth(number)) == number
    assert normalise_id_number(f" {number[:6]}-{number[6:14]}-{number[14:]} ") == number
