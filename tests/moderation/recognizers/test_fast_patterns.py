"""The fast recognizer patterns find exactly what the plain ones found.

Numbers: the patterns were rewritten to start with a character class (look-behind after the first
character); the original spellings are kept here and both are run on random texts built from the
characters that matter. Address and sensitive terms: ``anchored_finditer`` (tried only near a cheap
anchor) against ``finditer`` over the whole text.
"""

from __future__ import annotations

import random
import re

import pytest

from hegui.moderation.recognizers import RecognizerRegistry
from hegui.moderation.recognizers.address import _NATIVE_CORE, _ROAD_BACK, _ROAD_CORE, AddressRecognizer
from hegui.moderation.recognizers.base import anchored_finditer
from hegui.moderation.recognizers.numbers import (
    BankCardRecognizer,
    EmailRecognizer,
    IdCardRecognizer,
    LandlineRecognizer,
    MobileRecognizer,
    PassportRecognizer,
    UsccRecognizer,
)
from hegui.moderation.recognizers.sensitive import (
    EthnicityRecognizer,
    SensitiveCategoryRecognizer,
    casefold_1to1,
)

_B = r"(?<![0-9A-Za-z])"
_A = r"(?![0-9A-Za-z])"
ORIGINAL = {
    IdCardRecognizer: _B + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]" + _A,
    MobileRecognizer: r"(?<![0-9A-Za-z+])(?:(?:\+|00)86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}" + _A,
    LandlineRecognizer: _B + r"(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}[\s-])\s?[2-9]\d{6,7}(?:-\d{1,5})?" + _A,
    BankCardRecognizer: _B + r"[3-6]\d{3}(?:[\s-]?\d{4}){2}[\s-]?\d{4}(?:[\s-]?\d{1,3})?" + _A,
    UsccRecognizer: _B + r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}" + _A,
    EmailRecognizer: r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*"
                     r"\.[A-Za-z]{2,24}" + _A,
    PassportRecognizer: _B + r"(?:[EG]\d{8}|E[A-HJ-NP-Z]\d{7}|(?:DE|SE|PE|[DSP])\d{7})" + _A,
}
ALPHABET = "0123456789" * 6 + "+-( )（）ADEGPSXxz号a\n１٣@.%_bc"


def _spans(it):
    return [m.span() for m in it]


@pytest.mark.parametrize("rec_cls", list(ORIGINAL), ids=lambda c: c.__name__)
def test_number_patterns_match_original_spelling(rec_cls):
    rnd = random.Random(rec_cls.__name__)
    old, new = re.compile(ORIGINAL[rec_cls]), rec_cls.pattern
    seeds = ["+86 138 1234 5678", "008613812345678", "13812345678", "(010)62345678", "（0755）2345678",
             "010-62345678-123", "6217000000000000018", "6217 0000 0000 0000 018", "11010519491231002X",
             "91350100M000100011", "E12345678", "EA1234567", "DE1234567", "S1234567", "PE1234567",
             "a.b@example.com", "x%y+z@mail.example.cn", "@@a.bc", "-_.@a-b.c.de"]
    for _ in range(3000):
        parts = [rnd.choice(seeds) if rnd.random() < 0.3 else "".join(rnd.choice(ALPHABET)
                 for _ in range(rnd.randint(0, 12))) for _ in range(rnd.randint(1, 5))]
        text = "".join(parts)
        assert _spans(new.finditer(text)) == _spans(old.finditer(text)), text


def test_email_needs_at_sign():
    assert EmailRecognizer().analyze("no mail here, name.surname example.com") == []
    assert [f.text for f in EmailRecognizer().analyze("mail a.b@example.com now")] == ["a.b@example.com"]


def _han_noise(rnd, n):
    return "".join(rnd.choice("的了是在人我有他这中大来上国个到说们为子和你地出道也时年路街号一二三十0123456789，。；")
                   for _ in range(n))


def test_address_anchored_matches_equal_full_scan():
    rec = AddressRecognizer()
    rnd = random.Random(5)
    pieces = ["北京市海淀区中关村大街27号", "朝阳区建国路88号3号楼2单元501室", "幸福路12号", "人民大道一百号",
              "南锣鼓巷胡同8号院", "，湖南汉寿人，", "籍贯四川人。", "重庆市璧山县人，", "住在长安街1号",
              "浙江省杭州市西湖区文三路90号", "路路路1号", "内蒙古自治区呼和浩特市人；"]
    for _ in range(1500):
        text = "".join(rnd.choice(pieces) if rnd.random() < 0.4 else _han_noise(rnd, rnd.randint(0, 40))
                       for _ in range(rnd.randint(1, 6)))
        road = anchored_finditer(rec._road_led, text, [m.start() for m in _ROAD_CORE.finditer(text)], _ROAD_BACK)
        assert _spans(road) == _spans(rec._road_led.finditer(text)), text
        native = anchored_finditer(rec._native, text, [m.start() for m in _NATIVE_CORE.finditer(text)],
                                   rec._native_back)
        assert _spans(native) == _spans(rec._native.finditer(text)), text


def test_sensitive_terms_anchored_equal_full_scan():
    sens, eth = SensitiveCategoryRecognizer(), EthnicityRecognizer()
    rnd = random.Random(9)
    pieces = ["基督徒", "HIV阳性", "hiv阳性", "GPS定位", "gps定位", "Muslim", "MUSLIM", "muslims", "iris scan",
              "ırıs scan", "religious belief", "RELIGIOUS BELIEF", "未满14周岁", "汉族", "维吾尔族", "朝鲜族馆",
              "民族：汉", "dna", "DNA", "xdna", "ſ", "İ", "K"]
    for _ in range(1500):
        text = " ".join(rnd.choice(pieces) if rnd.random() < 0.5 else _han_noise(rnd, rnd.randint(0, 10))
                        for _ in range(rnd.randint(1, 6)))
        got = [(f.start, f.end, f.entity_type) for f in sens.analyze(text)]
        want = [(m.start(), m.end(), sens._groups[m.lastgroup]) for m in sens._pattern.finditer(text)]
        assert got == want, text
        got_e = [m.span() for m in anchored_finditer(eth._full, text, eth._full_starts(text))]
        assert got_e == _spans(eth._full.finditer(text)), text


def test_casefold_keeps_positions_and_folds_what_ignorecase_folds():
    letters = re.compile("[a-z]", re.IGNORECASE)
    for cp in list(range(0x2000)) + [0x212A, 0x1E9E, 0xFB00, 0x10400]:
        ch = chr(cp)
        folded = casefold_1to1("x" + ch + "y")
        assert len(folded) == 3
        if letters.fullmatch(ch):
            assert "a" <= folded[1] <= "z", hex(cp)


def test_registry_results_unchanged_on_mixed_text():
    reg = RecognizerRegistry.default()
    text = ("我叫张三丰，手机13812345678，身份证11010519491231002X，邮箱zhang.san@example.cn，"
            "家住北京市海淀区中关村大街27号，湖南汉寿人，汉族，信仰佛教，HIV阳性。")
    found = {(f.text, f.entity_type) for f in reg.analyze(text)}
    assert ("13812345678", "CN_MOBILE") in found
    assert ("zhang.san@example.cn", "EMAIL") in found
    assert any(t == "HIV阳性" for t, _ in found)
    assert any(e == "ADDRESS" for _, e in found)
    assert ("汉族", "ETHNICITY") in found
