"""Contact handles: disguised digits decoded, plain ones scored low, ordinary text left alone."""

from __future__ import annotations

import pytest

from hegui.moderation.recognizers import RecognizerRegistry
from hegui.moderation.recognizers.contact import (
    OBFUSCATED_SCORE,
    PLAIN_SCORE,
    ContactRecognizer,
    digit_of,
    scan_number,
)
from hegui.moderation.recognizers.content import ContentFinding, is_personal

FLAG = 0.5  # default profile flag threshold
REFUSE = 0.8  # default profile refusal threshold


@pytest.fixture(scope="module")
def rec() -> ContactRecognizer:
    return ContactRecognizer()


def handles(rec: ContactRecognizer, text: str) -> list[ContentFinding]:
    return [f for f in rec.analyze(text) if f.entity_type == "CONTACT_HANDLE"]


@pytest.mark.parametrize("ch, digit, kind", [
    ("7", "7", "ascii"), ("１", "1", "unicode"), ("①", "1", "unicode"), ("⑴", "1", "unicode"),
    ("⒉", "2", "unicode"), ("❸", "3", "unicode"), ("𝟒", "4", "unicode"), ("幺", "1", "cn"), ("两", "2", "cn"),
    ("叁", "3", "cn"), ("玖", "9", "cn"), ("O", "0", "lookalike"), ("l", "1", "lookalike"), ("Z", "2", "lookalike"),
])
def test_digit_forms(ch: str, digit: str, kind: str) -> None:
    assert digit_of(ch) == (digit, kind)
    assert digit_of("a") is None and digit_of("好") is None


@pytest.mark.parametrize("text, platform, canonical", [
    ("扣扣：①②③④⑤⑥⑦⑧", "qq", "12345678"),
    ("QQ 1O24S6789", "qq", "102456789"),  # look-alike letters
    ("qq: l23456789", "qq", "123456789"),
    ("企鹅 1️⃣2️⃣3️⃣4️⃣5️⃣6️⃣", "qq", "123456"),  # keycap emoji
    ("加我 Q Q：1 2 3 4 5 6 7 8", "qq", "12345678"),  # spaced out
    ("Q.Q 号 1.2.3.4.5.6.7", "qq", "1234567"),
    ("QQ：１２３４５６７８９", "qq", "123456789"),  # full-width
    ("QQ ⑴⑵⑶⑷⑸⑹⑺", "qq", "1234567"),  # parenthesised
    ("薇信 幺三八四五六七", "wechat", "1384567"),  # Chinese numerals, military 幺
    ("威信：壹贰叁肆伍陆柒捌", "wechat", "12345678"),
    ("vx: abc123", "wechat", "abc123"),  # evasive alias, plain id
    ("V信 mm_2024x", "wechat", "mm_2024x"),
    ("V：shop888", "wechat", "shop888"),
    ("纸飞机 @cheap_deals", "telegram", "@cheap_deals"),
    ("①②③④⑤⑥⑦ 是我的企鹅", "qq", "1234567"),  # number before the alias
    ("加君羊 987654321", "qq_group", "987654321"),  # 群 split into 君羊
])
def test_disguised_handles_are_decoded_and_flagged(rec: ContactRecognizer, text: str, platform: str,
                                                    canonical: str) -> None:
    found = handles(rec, text)
    assert len(found) == 1, found
    f = found[0]
    assert (f.platform, f.canonical) == (platform, canonical)
    assert FLAG <= f.score < REFUSE  # evasion alone flags, never refuses
    assert f.risk_id == "A3e" and not is_personal(f) and f.recognizer == "contact_handle"
    assert text[f.start:f.end] == f.text


def test_more_kinds_of_disguise_score_higher(rec: ContactRecognizer) -> None:
    one = handles(rec, "QQ：①②③④⑤⑥⑦⑧")[0]
    two = handles(rec, "扣扣：①②③④⑤⑥⑦⑧")[0]  # alias + circled digits
    plain = handles(rec, "QQ：12345678")[0]
    assert plain.score == PLAIN_SCORE < FLAG
    assert one.score == OBFUSCATED_SCORE < two.score < REFUSE
    assert set(two.category.split("+")) == {"alias", "unicode"}


@pytest.mark.parametrize("text", [
    "微信 abc123", "QQ：3194704877", "我的QQ号 123456789", "wxid_abcd1234", "t.me/somechannel", "进群 123456789",
])
def test_plain_handles_score_below_the_flag_threshold(rec: ContactRecognizer, text: str) -> None:
    found = handles(rec, text)
    assert found and all(f.score == PLAIN_SCORE for f in found)


@pytest.mark.parametrize("text", [
    "会议改到3点，有事微信我",
    "我的QQ群号是学习群",
    "工商银行客服热线95588，联系95588可以查询",
    "有问题请联系12315或者QQ 10086",
    "价格199元，支持微信支付",
    "微信转账 20000 元给我",
    "2024-05-06 订单号 4200001234567890 微信支付",
    "微信 2024-05-06 10:30 开会",
    "QQ：So good",
    "坐飞机 3 小时到上海，飞机MU5735晚点",
    "增加卫星数量和飞机航班",
    "扣我工资",
    "v1.2.3 版本已发布",
    "我们一起去上课，三四个人",
    "请拨打 400-820-8820 联系客服",
    "微信13812345678",  # a plain phone: the PI recognizers report it
])
def test_ordinary_text_reports_nothing(rec: ContactRecognizer, text: str) -> None:
    assert rec.analyze(text) == []


def test_solicitation_phrases(rec: ContactRecognizer) -> None:
    for text in ("加我➕", "v我50", "主页有联系方式", "+v 详聊", "加薇了解", "➕q"):
        found = rec.analyze(text)
        assert [f.entity_type for f in found] == ["CONTACT_SOLICIT"], text
        assert FLAG <= found[0].score < REFUSE
    # plain phrases only count next to lures (see test_abuse_lures), they are not reported
    assert rec.analyze("有事私聊，加我微信，联系我") == []
    assert sorted(c.kind for c in rec.contacts("加我微信")) == ["divert", "solicit"]


def test_phone_written_plainly_stays_pi_and_disguised_phone_is_abuse() -> None:
    reg = RecognizerRegistry.default()
    plain = reg.analyze("加微信13812345678")
    assert [(f.entity_type, is_personal(f)) for f in plain] == [("CN_MOBILE", True)]
    disguised = reg.analyze("vx：138 1234 5678")  # evasive alias: a contact, and still a phone number
    kinds = {(f.entity_type, is_personal(f)) for f in disguised}
    assert kinds == {("CN_MOBILE", True), ("CONTACT_HANDLE", False)}  # PI and content resolved separately
    assert [f.canonical for f in disguised if not is_personal(f)] == ["13812345678"]


def test_scan_number_limits() -> None:
    assert scan_number("1234", 0, False) is None  # too short
    assert scan_number("123456789012", 0, False) is None  # too long for a handle
    assert scan_number("12345abc", 0, False) is None  # part of a word
    assert scan_number("lOlOl23", 0, True) is None  # more look-alikes than digits
    got = scan_number("1 2 3 4 5 6", 0, False)
    assert got is not None and got.digits == "123456" and "spaced" in got.kinds


def test_bad_input_is_bounded(rec: ContactRecognizer) -> None:
    for text in ["", "\ud800QQ", "QQ" * 20000, "扣扣①" * 20000, "1 " * 50000, "😀" * 5000]:
        rec.analyze(text)
        rec.contacts(text)
