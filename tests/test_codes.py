import datetime as dt

import pytest

from hegui import codes
from hegui.errors import ValidationFailed


def _id(first17: str) -> str:
    return first17 + codes.id_card_check_digit(first17)


def test_id_card_valid_and_check_digit():
    number = _id("11010519491231002")
    assert number == "11010519491231002X"  # the GB 11643 worked example
    assert codes.validate_id_card(number) is None
    assert codes.id_card_birth_date(number) == dt.date(1949, 12, 31)


@pytest.mark.parametrize("bad,why", [
    ("11010519491231002", "18 characters"),
    ("110105194912310021", "check digit"),
    ("11010519491331002X", "birth date"),
    ("01010519491231002X", "region"),
    ("110105" + "21000101" + "0010", "out of range"),
])
def test_id_card_rejects(bad, why):
    reason = codes.validate_id_card(bad, today=dt.date(2026, 11, 23))
    assert reason and why.split()[0] in reason


def test_uscc_check_char():
    assert codes.validate_uscc("91110000MA0000000H") is None
    assert "check character" in codes.validate_uscc("91110000MA0000000J")
    assert codes.validate_uscc("91110000MA000000OI") is not None  # letters I/O are not in the charset


def test_mobile():
    assert codes.check_mobile("+86 138-0013-8000") == "13800138000"
    for bad in ("12800138000", "1380013800", "abc"):
        with pytest.raises(ValidationFailed) as e:
            codes.check_mobile(bad)
        assert "手机号码无效" in e.value.message("zh")


def test_provider_code():
    code = codes.provider_code("91110000MA0000000H", 1, "DEMO")
    assert len(code) == 27 and code.startswith("0011")
    assert codes.validate_provider_code(code) is None
    assert "USCC" in codes.validate_provider_code(code[:21] + "J" + code[22:])
    assert codes.validate_provider_code("0011") is not None
