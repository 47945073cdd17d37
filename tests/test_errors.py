import re
import string

from hegui.errors import HeguiError, all_error_classes


def test_codes_unique_and_messages_bilingual():
    classes = all_error_classes()
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes)), codes
    for cls in classes:
        assert cls.message_zh and cls.message_en, cls
        fields = {f for _, f, _, _ in string.Formatter().parse(cls.message_en) if f}
        zh_fields = {f for _, f, _, _ in string.Formatter().parse(cls.message_zh) if f}
        # the same facts in both languages; a fact worded per language is `<name>_en` / `<name>_zh`
        assert {re.sub(r"_en$", "", f) for f in fields} == {re.sub(r"_zh$", "", f) for f in zh_fields}, cls
        err = cls(**{f: "x" for f in fields | zh_fields})
        assert "{" not in err.message("zh") and "{" not in err.message("en")
        assert isinstance(err, HeguiError)


def test_str_is_english_and_dict_has_both():
    from hegui.errors import ValidationFailed

    e = ValidationFailed(detail="bad")
    assert str(e) == "Invalid input: bad"
    d = e.to_dict("zh")
    assert d["message"] == d["message_zh"] == "输入无效：bad" and d["code"] == "INVALID_INPUT"
