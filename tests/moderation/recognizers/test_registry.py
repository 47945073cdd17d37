from __future__ import annotations

import re

import pytest

from hegui.moderation.recognizers import (
    PatternRecognizer,
    PIFinding,
    RecognizerConflict,
    RecognizerRegistry,
)

from hegui.moderation.recognizers.content import ContentRecognizer

from .conftest import valid_card, valid_id


class EmployeeIdRecognizer(PatternRecognizer):
    name = "employee_id"
    entity_type = "EMPLOYEE_ID"
    pattern = re.compile(r"EMP-\d{6}")
    score = 0.9


def test_default_has_every_builtin(registry):
    assert {"id_card", "mobile", "landline", "bank_card", "email", "uscc", "passport", "licence_plate",
            "person_name", "address", "ethnicity", "sensitive_category"} <= set(registry.names())
    for name in registry.names():
        rec = registry.get(name)
        assert rec.version and rec.languages
        # PI recognizers report A4e/A4f; content recognizers (platform abuse) their own risks
        assert isinstance(rec, ContentRecognizer) or all(re.fullmatch(r"A4[ef]", r) for r in rec.risk_ids)


def test_custom_recognizer_registers_but_cannot_shadow_builtin():
    reg = RecognizerRegistry.default()
    reg.register(EmployeeIdRecognizer())
    assert [f.entity_type for f in reg.analyze("工号EMP-123456")] == ["EMPLOYEE_ID"]
    with pytest.raises(RecognizerConflict):
        reg.register(EmployeeIdRecognizer())
    reg.register(EmployeeIdRecognizer(), replace=True)

    class FakeIdCard(EmployeeIdRecognizer):
        name = "id_card"

    with pytest.raises(RecognizerConflict) as err:
        reg.register(FakeIdCard(), replace=True)
    assert err.value.code == "MODERATION_RECOGNIZER_CONFLICT" and "识别器" in err.value.message("zh")


def test_fresh_registries_are_independent():
    a, b = RecognizerRegistry.default(), RecognizerRegistry.default()
    a.register(EmployeeIdRecognizer())
    assert "employee_id" not in b.names()


def test_analyze_resolves_overlaps_and_filters(registry):
    number = valid_id()
    found = registry.analyze(f"身份证{number}")
    assert [(f.entity_type, f.text) for f in found] == [("CN_ID_CARD", number)]
    text = f"手机13812345678，身份证{number}"
    assert [f.entity_type for f in registry.analyze(text, entities=["CN_MOBILE"])] == ["CN_MOBILE"]


def test_mask_keeps_short_readable_form(registry):
    number = valid_id("11010519491231123")
    card = valid_card()
    text = f"我叫张三，身份证{number}，手机13812345678，邮箱zhangsan@example.com，卡号{card}。"
    masked = registry.mask(text, registry.analyze(text))
    assert f"1101**********{number[-4:]}" in masked
    assert "138****5678" in masked
    assert "z*******@example.com" in masked
    assert "张*" in masked and "张三" not in masked
    assert card not in masked and card[:4] in masked and card[-4:] in masked
    assert masked.startswith("我叫") and masked.endswith("。") and len(masked) == len(text)


def test_mask_custom_char_and_stale_findings():
    text = "手机13812345678"
    f = PIFinding(2, 13, "13812345678", "CN_MOBILE", "A4f", 0.9, "mobile")
    assert RecognizerRegistry.mask(text, [f], char="#") == "手机138####5678"
    stale = PIFinding(0, 2, "别的", "PERSON", "A4f", 0.9, "person_name")
    assert RecognizerRegistry.mask(text, [stale]) == text  # offsets that do not match the text are ignored


def test_bad_input_is_bounded(registry):
    for text in ["", "\ud800孤立代理", "😀" * 5000, "1" * 100_000, "张" * 50_000]:
        registry.analyze(text)
