from __future__ import annotations

import pytest

from hegui.moderation.recognizers.numbers import (
    BankCardRecognizer,
    EmailRecognizer,
    IdCardRecognizer,
    LandlineRecognizer,
    LicencePlateRecognizer,
    MobileRecognizer,
    PassportRecognizer,
    UsccRecognizer,
    luhn_ok,
)

from .conftest import bad_check, valid_card, valid_id, valid_uscc


def spans(rec, text):
    return [(f.text, f.entity_type) for f in rec.analyze(text)]


def test_id_card_valid_check_digit_between_han_characters():
    number = valid_id()
    text = f"身份证号{number}请核对"
    found = IdCardRecognizer().analyze(text)
    assert [(f.start, f.end) for f in found] == [(4, 22)]
    assert found[0].risk_id == "A4f" and found[0].score == 1.0 and found[0].recognizer == "id_card"


def test_id_card_lowercase_x_and_wrong_check_digit():
    assert spans(IdCardRecognizer(), f"号码{valid_id()}")
    assert spans(IdCardRecognizer(), f"号码{bad_check(valid_id())}") == []
    assert spans(IdCardRecognizer(), "号码110105194913310021") == []  # month 13


def test_id_card_not_inside_longer_digit_or_letter_runs():
    number = valid_id()
    assert spans(IdCardRecognizer(), f"订单1{number}") == []
    assert spans(IdCardRecognizer(), f"{number}7") == []
    assert spans(IdCardRecognizer(), f"ab{number}") == []


@pytest.mark.parametrize("text,expected", [
    ("电话13812345678谢谢", "13812345678"),
    ("call +86 138 1234 5678 now", "+86 138 1234 5678"),
    ("手机：139-0000-1111。", "139-0000-1111"),
])
def test_mobile_found(text, expected):
    assert [f.text for f in MobileRecognizer().analyze(text)] == [expected]


@pytest.mark.parametrize("text", ["订单号213812345678901", "12812345678", "版本v13812345678"])
def test_mobile_not_found(text):
    assert MobileRecognizer().analyze(text) == []


def test_landline():
    assert [f.text for f in LandlineRecognizer().analyze("座机010-62345678转")] == ["010-62345678"]
    assert [f.text for f in LandlineRecognizer().analyze("传真（0755）2345678")] == ["（0755）2345678"]
    assert LandlineRecognizer().analyze("共010-0000000件") == []  # local number cannot start with 0


def test_bank_card_luhn():
    card = valid_card()
    assert luhn_ok(card) and not luhn_ok(bad_check(card, "0123456789"))
    assert [f.text for f in BankCardRecognizer().analyze(f"卡号{card}。")] == [card]
    grouped = " ".join(card[i:i + 4] for i in range(0, len(card), 4))
    assert [f.text for f in BankCardRecognizer().analyze(f"卡号：{grouped}")] == [grouped]
    assert BankCardRecognizer().analyze(f"卡号{bad_check(card, '0123456789')}") == []


def test_email():
    assert [f.text for f in EmailRecognizer().analyze("发到zhang.san+cv@mail.example.cn谢谢")] == \
        ["zhang.san+cv@mail.example.cn"]
    assert EmailRecognizer().analyze("价格@5元") == []


def test_uscc_check_character():
    code = valid_uscc()
    assert [f.text for f in UsccRecognizer().analyze(f"信用代码{code}。")] == [code]
    assert UsccRecognizer().analyze(f"信用代码{bad_check(code, '0123456789ABCDEFGHJKLMNPQRTUWXY')}") == []


def test_passport_context_raises_score():
    plain = PassportRecognizer().analyze("编号E12345678")
    ctx = PassportRecognizer().analyze("护照号码E12345678")
    assert plain and ctx and ctx[0].score > plain[0].score
    assert PassportRecognizer().analyze("E123456789") == []


def test_licence_plate():
    rec = LicencePlateRecognizer()
    assert [f.text for f in rec.analyze("车牌京A12345的车")] == ["京A12345"]
    assert [f.text for f in rec.analyze("新能源粤BD12345")] == ["粤BD12345"]
    assert rec.analyze("京I12345") == []  # I is not used on plates
