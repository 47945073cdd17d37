from __future__ import annotations

import pytest

from hegui.codes import id_card_check_digit, uscc_check_char
from hegui.moderation.recognizers import RecognizerRegistry
from hegui.moderation.recognizers.numbers import luhn_ok


@pytest.fixture(scope="module")
def registry() -> RecognizerRegistry:
    return RecognizerRegistry.default()


def valid_id(first17: str = "11010519491231002") -> str:
    return first17 + id_card_check_digit(first17)


def bad_check(number: str, alphabet: str = "0123456789X") -> str:
    return number[:-1] + next(c for c in alphabet if c != number[-1])


def valid_card(body: str = "621700000000000001") -> str:
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def valid_uscc(first17: str = "91350100M00010001") -> str:
    return first17 + uscc_check_char(first17)
