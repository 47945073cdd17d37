"""The console's user page shows one end user's state, from the onboarding API's own calls."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from hegui import codes
from hegui.storage.models import EndUser


def _id_aged(years_old: int) -> str:
    born = dt.date.today().replace(month=1, day=1) - dt.timedelta(days=365 * years_old + 30)
    first = f"110101{born:%Y%m%d}123"
    return first + codes.id_card_check_digit(first)


def _uid(gw, name: str) -> str:  # noqa: ANN001
    with gw.services.db.session() as s:
        return s.scalar(select(EndUser.id).where(EndUser.external_id == name))


def _state(html: str) -> str:
    m = re.search(r'<dl class="facts" id="user-state">(.*?)</dl>', html, re.S)
    assert m, "no state block on the page"
    return m.group(1)


def test_adult_verified_accepted_and_used(console):
    gw = console.gw
    gw.verified_user("ada")
    assert gw.chat("你好", user="ada").status_code == 200
    assert gw.chat("forbidden-term please", user="ada").status_code == 200  # a refusal
    assert gw.client.put("/v1/hegui/users/ada/training-opt-out", headers=gw.headers,
                         json={"opt_out": True}).status_code == 200
    c = console.login("auditor")
    zh = _state(c.get(f"/console/users/{_uid(gw, 'ada')}?lang=zh").text)
    assert "居民身份证" in zh and gw.services.agreement.version in zh and "当前版本" in zh
    assert "近 30 天请求" in zh and re.search(r"<dd>2 · 其中拒答或截断 1 · 最近一次 \d{4}-", zh)
    assert "<dt>已退出训练</dt><dd>是</dd>" in zh and "不需要" in zh
    en = _state(c.get(f"/console/users/{_uid(gw, 'ada')}?lang=en").text)
    assert "resident ID card" in en and "current version" in en and "居民身份证" not in en
    assert "<dd>2 · refused or cut 1 · last " in en


def test_unverified_user_shows_what_is_missing(console):
    gw = console.gw
    assert gw.post("/v1/hegui/users", {"user": "newbie"}).status_code == 200
    en = _state(console.login("admin").get(f"/console/users/{_uid(gw, 'newbie')}?lang=en").text)
    assert "Not verified" in en and "Not yet accepted" in en and "minor mode applies" in en
    assert "<dd>0 · refused or cut 0</dd>" in en


def test_child_without_and_with_guardian_consent(console):
    gw = console.gw
    gw.verified_user("kid", id_number=_id_aged(12))
    uid, c = _uid(gw, "kid"), console.login("reviewer")
    zh = _state(c.get(f"/console/users/{uid}?lang=zh").text)
    assert "未满十四周岁，尚无监护人同意" in zh and "<dd>是 · 成年日期" in zh
    r = gw.post("/v1/hegui/users/kid/guardian-consent", {"guardian_id_number": _id_aged(40)})
    assert r.status_code == 200 and r.json()["guardian_consent"] is True
    zh = _state(c.get(f"/console/users/{uid}?lang=zh").text)
    assert "<dt>监护人同意</dt><dd>已记录 · " in zh and "尚无监护人同意" not in zh


def test_stale_agreement_and_active_sanction(console):
    gw = console.gw
    gw.verified_user("old")
    with gw.services.db.session() as s:
        s.get(EndUser, _uid(gw, "old")).agreement_hash = "0" * 64  # accepted an earlier text
    console.app.state.case_desk.sanction(_uid(gw, "old"), "suspend", "abuse", "console:admin", hours=24)
    en = _state(console.login("admin").get(f"/console/users/{_uid(gw, 'old')}?lang=en").text)
    assert "must accept again" in en and "Active: 1" in en
