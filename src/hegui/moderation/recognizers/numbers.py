"""Numeric and code identifiers: resident ID (GB 11643), mobile and landline numbers, bank cards
(Luhn, ISO/IEC 7812), e-mail, USCC (GB 32100), passport numbers, licence plates (GA 36).

All are personal information under PIPL Art 4; resident ID, bank card and passport numbers are
also "specific identity / financial account" data that Art 28 treats as sensitive.
"""

from __future__ import annotations

import re

from hegui.codes import validate_id_card, validate_uscc
from hegui.moderation.recognizers.base import NOT_ALNUM_AFTER as _A
from hegui.moderation.recognizers.base import PatternRecognizer, lead

# Every pattern starts with a character class and checks the character before it afterwards
# (:func:`lead`), so ``re`` scans the text for possible first characters in C; the look-behind-first
# spellings (``(?<![0-9A-Za-z])[1-9]…``) ran at every position and cost 3–7 times as much.
# tests/moderation/recognizers/test_fast_patterns.py checks both spellings give the same matches.
_NOT_PLUS = "0-9A-Za-z+"


class IdCardRecognizer(PatternRecognizer):
    """18-character resident ID number with a valid GB 11643 check digit and birth date."""

    name = "id_card"
    entity_type = "CN_ID_CARD"
    pattern = re.compile(lead("[1-9]") + r"\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
                         + _A)
    score = 1.0

    def validate(self, candidate: str) -> float | None:
        return None if validate_id_card(candidate) else self.score


class MobileRecognizer(PatternRecognizer):
    """Mainland mobile number: 1[3-9] + 9 digits, optional +86 and 3-4-4 separators."""

    name = "mobile"
    entity_type = "CN_MOBILE"
    # (?<![0-9A-Za-z+])(?:(?:\+|00)86[\s-]?)?1[3-9]…: the three possible first characters + 0 1
    pattern = re.compile("(?:" + lead(r"\+", _NOT_PLUS) + r"86[\s-]?1|" + lead("0", _NOT_PLUS) + r"086[\s-]?1|"
                         + lead("1", _NOT_PLUS) + r")[3-9]\d(?:[\s-]?\d{4}){2}" + _A)
    score = 0.9
    context = ("手机", "电话", "联系", "致电", "tel", "phone", "mobile", "call")
    context_score = 0.98


class LandlineRecognizer(PatternRecognizer):
    """Mainland landline: area code 0xx/0xxx (optionally in brackets) + 7–8 digits, extension allowed."""

    name = "landline"
    entity_type = "CN_LANDLINE"
    pattern = re.compile("(?:" + lead(r"\(") + r"0\d{2,3}\)|" + lead("（") + r"0\d{2,3}）|" + lead("0")
                         + r"\d{2,3}[\s-])\s?[2-9]\d{6,7}(?:-\d{1,5})?" + _A)
    score = 0.8
    context = ("电话", "座机", "联系", "传真", "tel", "phone", "fax")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


class BankCardRecognizer(PatternRecognizer):
    """Payment card number: 16–19 digits (groups of 4 allowed), issuer prefix 3–6, Luhn check."""

    name = "bank_card"
    entity_type = "BANK_CARD"
    pattern = re.compile(lead("[3-6]") + r"\d{3}(?:[\s-]?\d{4}){2}[\s-]?\d{4}(?:[\s-]?\d{1,3})?" + _A)
    score = 0.6  # Luhn alone passes 1 in 10 random numbers; context words raise it
    context = ("银行卡", "卡号", "账号", "信用卡", "储蓄卡", "card", "account")
    context_score = 0.98

    def validate(self, candidate: str) -> float | None:
        digits = re.sub(r"[\s-]", "", candidate)
        return self.score if 16 <= len(digits) <= 19 and luhn_ok(digits) else None


class EmailRecognizer(PatternRecognizer):
    name = "email"
    entity_type = "EMAIL"
    pattern = re.compile(lead("[A-Za-z0-9._%+-]", "A-Za-z0-9._%+-")
                         + r"[A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}" + _A)
    score = 0.95
    required = "@"  # skip the costly local-part scan (every ASCII word) when there is no @


class UsccRecognizer(PatternRecognizer):
    """Unified social credit code (GB 32100) with a valid check character (identifies sole traders too)."""

    name = "uscc"
    entity_type = "CN_USCC"
    pattern = re.compile(lead("[0-9A-HJ-NPQRTUWXY]") + r"[0-9A-HJ-NPQRTUWXY]\d{6}[0-9A-HJ-NPQRTUWXY]{10}" + _A)
    score = 0.95

    def validate(self, candidate: str) -> float | None:
        if candidate.isdigit():
            return None  # all digits: an ID number or other number, not a USCC
        return None if validate_uscc(candidate) else self.score


class PassportRecognizer(PatternRecognizer):
    """PRC passport numbers (E/G + 8 digits, E + letter + 7 digits; D/S/P(E) official passports)."""

    name = "passport"
    entity_type = "CN_PASSPORT"
    # (?:[EG]\d{8}|E[A-HJ-NP-Z]\d{7}|(?:DE|SE|PE|[DSP])\d{7}): the first letter, then the same
    # alternatives in the same order, told apart by looking back at that letter
    pattern = re.compile(lead("[DEGPS]") + r"(?:(?<=[EG])\d{8}|(?<=E)[A-HJ-NP-Z]\d{7}|(?<=[DSP])E\d{7}"
                         r"|(?<=[DSP])\d{7})" + _A)
    score = 0.6
    context = ("护照", "passport", "证件")


class LicencePlateRecognizer(PatternRecognizer):
    """Mainland vehicle plates: province + letter + 5 characters (6 for new-energy D/F plates)."""

    name = "licence_plate"
    entity_type = "CN_LICENCE_PLATE"
    pattern = re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][·•\s]?"
                         r"(?:[DF][A-HJ-NP-Z0-9]\d{4}|\d{5}[DF]|[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳])" + _A)
    score = 0.85
    context = ("车牌", "牌照", "plate")
