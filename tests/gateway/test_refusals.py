"""Identity gate: agreement, minors (quiet hours, daily limits, guardian consent), sanctions."""

import datetime as dt

from hegui import codes
from hegui.identity.minors import MinorPolicy, in_quiet_hours
from hegui.settings import MinorSettings


def _minor_id(years_old: int) -> str:
    born = dt.date.today().replace(month=1, day=1) - dt.timedelta(days=365 * years_old + 30)
    first = f"110101{born:%Y%m%d}123"
    return first + codes.id_card_check_digit(first)


def test_agreement_must_be_accepted(gateway_factory, db_url):
    gateway = gateway_factory(db_url=db_url)
    gateway.verified_user("no-agree", accept=False)
    r = gateway.chat("你好", user="no-agree")
    assert r.status_code == 403
    err = r.json()["error"]
    assert err["code"] == "USER_NOT_ALLOWED" and "服务协议" in err["message_zh"] and "agreement" in err["message_en"]
    v = gateway.client.get("/v1/hegui/agreement", headers=gateway.headers).json()
    assert "标识" in v["zh"] and "label" in v["en"]
    gateway.post("/v1/hegui/users/no-agree/agreement", {"version": v["version"]})
    assert gateway.chat("你好", user="no-agree").status_code == 200


def test_stale_agreement_version_rejected(gateway):
    gateway.verified_user("stale", accept=False)
    r = gateway.post("/v1/hegui/users/stale/agreement", {"version": "1999-01-01"})
    assert r.status_code == 400 and "不是当前版本" in r.json()["error"]["message_zh"]


def test_minor_in_quiet_hours_refused(gateway_factory):
    # quiet hours covering the whole day make the test independent of the clock
    gw = gateway_factory(minors={"quiet_start": "00:00", "quiet_end": "23:59:59"})
    gw.verified_user("teen", id_number=_minor_id(16))
    r = gw.chat("你好", user="teen")
    assert r.status_code == 403
    err = r.json()["error"]
    assert err["code"] == "MINOR_MODE_RESTRICTED" and "休息时段" in err["message_zh"] and "quiet hours" in err["message_en"]
    assert gw.chat("你好").status_code == 200  # the adult demo user is unaffected


def test_minor_daily_limit_and_guardian(gateway_factory):
    gw = gateway_factory(minors={"quiet_start": "03:00", "quiet_end": "03:00", "daily_requests_under_16": 2})
    gw.verified_user("kid", id_number=_minor_id(12))
    r = gw.chat("你好", user="kid")
    assert r.status_code == 403 and "监护人" in r.json()["error"]["message_zh"]
    r = gw.post("/v1/hegui/users/kid/guardian-consent", {"guardian_id_number": _minor_id(12)})
    assert r.status_code == 400 and "成年" in r.json()["error"]["message_zh"]
    assert gw.post("/v1/hegui/users/kid/guardian-consent", {"guardian_id_number": _minor_id(40)}).status_code == 200
    assert gw.chat("你好", user="kid").status_code == 200
    assert gw.chat("你好", user="kid").status_code == 200
    r = gw.chat("你好", user="kid")
    assert r.status_code == 403 and "每日 2 次" in r.json()["error"]["message_zh"]


def test_quiet_hours_wrap_midnight():
    s, e = dt.time(22), dt.time(6)
    assert in_quiet_hours(dt.time(23, 30), s, e) and in_quiet_hours(dt.time(5, 59), s, e)
    assert not in_quiet_hours(dt.time(6, 0), s, e) and not in_quiet_hours(dt.time(12), s, e)
    policy = MinorPolicy(MinorSettings())
    late = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.timezone.utc)  # 23:00 in Shanghai
    assert in_quiet_hours(policy.local_now(late).time(), s, e)


def test_unknown_and_missing_user(gateway):
    r = gateway.chat("hi", user="ghost")
    assert r.status_code == 403 and r.json()["error"]["code"] == "USER_NOT_REGISTERED"
    r = gateway.client.post("/v1/chat/completions", headers=gateway.headers,
                            json={"model": "hegui-demo-chat", "messages": [{"role": "user", "content": "x"}]})
    assert r.status_code == 400 and "终端用户" in r.json()["error"]["message_zh"]


def test_registration_flows_store_no_raw_identifiers(gateway_factory, db_url):
    gateway = gateway_factory(db_url=db_url)
    sms = gateway.services.sms
    assert gateway.post("/v1/hegui/users", {"user": "phone-user"}).status_code == 200
    r = gateway.post("/v1/hegui/users/phone-user/verify/mobile", {"phone": "13800138000"})
    ch = r.json()["challenge_id"]
    bad = gateway.post("/v1/hegui/users/phone-user/verify/mobile/confirm",
                       {"challenge_id": ch, "code": "000000" if sms.sent["13800138000"] != "000000" else "111111",
                        "phone": "13800138000"})
    assert bad.status_code == 400 and "验证码" in bad.json()["error"]["message_zh"]
    ok = gateway.post("/v1/hegui/users/phone-user/verify/mobile/confirm",
                      {"challenge_id": ch, "code": sms.sent["13800138000"], "phone": "13800138000"})
    assert ok.status_code == 200 and ok.json()["phone"] == "138****8000" and ok.json()["status"] == "verified"
    # organisation by USCC
    gateway.post("/v1/hegui/users", {"user": "org", "kind": "organisation"})
    assert gateway.post("/v1/hegui/users/org/verify/uscc", {"uscc": "91110000MA0000000J"}).status_code == 400
    assert gateway.post("/v1/hegui/users/org/verify/uscc", {"uscc": "91110000MA0000000H"}).json()["status"] == "verified"
    # the raw phone and ID numbers appear nowhere in the database
    from sqlalchemy import inspect, text

    from hegui.bootstrap import DEMO_ID_NUMBER
    eng = gateway.services.db.engine
    with eng.connect() as conn:
        for table in inspect(eng).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                blob = " ".join(str(v) for v in row)
                assert "13800138000" not in blob and DEMO_ID_NUMBER not in blob, table


def test_training_opt_out_settable(gateway):
    r = gateway.client.put("/v1/hegui/users/demo-user/training-opt-out", headers=gateway.headers, json={"opt_out": True})
    assert r.status_code == 200 and r.json()["training_opt_out"] is True
