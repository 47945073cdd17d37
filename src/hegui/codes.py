"""Check-digit validators for Chinese identifiers, shared by every duty.

- Resident ID card number: GB 11643-1999 (18 characters, ISO 7064 MOD 11-2 check digit).
- Unified social credit code (USCC): GB 32100-2015 (18 characters, MOD 31 check character).
- Mainland mobile number: 11 digits starting with 1[3-9].
- Provider code: TC260-PG-20252A (27 characters: ``00`` ``1`` ``1`` USCC role model-code).

Each ``validate_*`` function returns ``None`` when valid, or an English reason string;
``check_*`` raises :class:`hegui.errors.ValidationFailed` with zh/en messages.
"""

from __future__ import annotations

import datetime as dt
import re

from hegui.errors import ValidationFailed

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{6}(\d{8})\d{3}[\dX]$")
# First digit of the region code is the large area (1 north … 8 HK/MO/TW, 9 foreigners' permits).
_REGION_FIRST = set("123456789")

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_PROVIDER_RE = re.compile(r"^00(1)(1)([0-9A-Z]{18})([012])([0-9A-Z]{4})$")


def id_card_check_digit(first17: str) -> str:
    """GB 11643 check character for the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def id_card_birth_date(number: str) -> dt.date:
    """Birth date encoded in positions 7–14 of a (valid) ID number."""
    s = number[6:14]
    return dt.date(int(s[:4]), int(s[4:6]), int(s[6:8]))


def validate_id_card(number: str, *, today: dt.date | None = None) -> str | None:
    number = number.strip().upper()
    m = _ID_RE.match(number)
    if not m:
        return "must be 18 characters: 17 digits and a digit or X"
    if number[0] not in _REGION_FIRST or number[:2] == "00":
        return "region code is not of a valid shape"
    try:
        born = id_card_birth_date(number)
    except ValueError:
        return "birth date is not a real date"
    today = today or dt.date.today()
    if born > today or born.year < 1900:
        return "birth date is out of range"
    if id_card_check_digit(number[:17]) != number[17]:
        return "check digit does not match (GB 11643)"
    return None


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character for the first 17 characters of a USCC."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31]


def validate_uscc(code: str) -> str | None:
    code = code.strip().upper()
    if not _USCC_RE.match(code):
        return "must be 18 characters of digits and letters excluding I, O, S, V, Z"
    if uscc_check_char(code[:17]) != code[17]:
        return "check character does not match (GB 32100)"
    return None


def validate_mobile(number: str) -> str | None:
    number = normalize_mobile(number)
    if not _MOBILE_RE.match(number):
        return "must be an 11-digit mainland mobile number starting with 13–19"
    return None


def normalize_mobile(number: str) -> str:
    n = re.sub(r"[\s\-()]", "", number.strip())
    if n.startswith("+86"):
        n = n[3:]
    elif n.startswith("0086"):
        n = n[4:]
    return n


def validate_provider_code(code: str) -> str | None:
    """TC260-PG-20252A provider code, USCC check character included."""
    code = code.strip()
    m = _PROVIDER_RE.match(code)
    if not m:
        return ("must be 27 characters: '00', '1' (organisation), '1' (USCC), the 18-character USCC, "
                "the service type digit and a 4-character model code")
    reason = validate_uscc(m.group(3))
    if reason:
        return f"embedded USCC invalid: {reason}"
    return None


def provider_code(uscc: str, role: int = 1, model_code: str = "0000") -> str:
    """Build a provider code; ``role`` 1 = generation, 2 = propagation."""
    code = f"0011{uscc.upper()}{role}{model_code.upper()}"
    reason = validate_provider_code(code)
    if reason:
        raise ValidationFailed(detail=reason)
    return code


_ZH = {
    "id_card": "居民身份证号码无效",
    "uscc": "统一社会信用代码无效",
    "mobile": "手机号码无效",
    "provider_code": "服务提供者编码无效",
}


def _raise(kind: str, reason: str | None) -> None:
    if reason:
        raise ValidationFailed(message_en=f"Invalid {kind.replace('_', ' ')}: {reason}",
                               message_zh=f"{_ZH[kind]}（{reason}）")


def check_id_card(number: str) -> str:
    _raise("id_card", validate_id_card(number))
    return number.strip().upper()


def check_uscc(code: str) -> str:
    _raise("uscc", validate_uscc(code))
    return code.strip().upper()


def check_mobile(number: str) -> str:
    _raise("mobile", validate_mobile(number))
    return normalize_mobile(number)


def check_provider_code(code: str) -> str:
    _raise("provider_code", validate_provider_code(code))
    return code.strip()
