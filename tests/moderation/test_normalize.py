import pytest

from hegui.moderation.normalize import fold, fold_term, syllable_form


@pytest.mark.parametrize("raw, folded", [
    ("賭博", "赌博"),  # traditional → simplified
    ("ＡＢＣ１２３", "abc123"),  # full-width → half-width
    ("ＫＩＬＬ", "kill"),
    ("赌\u200b\u200c\u200d\ufeff博", "赌博"),  # zero-width characters
    ("赌\u2060\u00ad博", "赌博"),  # word joiner, soft hyphen
    ("赌 . 博", "赌博"),  # separators
    ("赌😀🎲博", "赌博"),  # emoji between characters
    ("赌\U000e0041博", "赌博"),  # invisible tag characters
    ("кill", "kill"),  # Cyrillic к
    ("ΚΙLL", "kill"),  # Greek capitals
    ("kíll", "kill"),  # accents stripped
    ("k\u0336i\u0336l\u0336l\u0336", "kill"),  # strike-through combining marks
    ("①②", "12"),
    ("Straße", "strasse"),
])
def test_evasions_fold_away(raw: str, folded: str) -> None:
    assert fold(raw).compact == folded


def test_offset_map_points_into_original() -> None:
    raw = "xx賭 😀 博yy"
    f = fold(raw)
    start = f.compact.index("赌博")
    s, e = f.span(start, start + 2)
    assert raw[s:e] == "賭 😀 博"


def test_expansion_keeps_map_consistent() -> None:
    raw = "ﬁ㍿x"
    f = fold(raw)
    assert f.compact == "fi株式会社x"
    assert len(f.index) == len(f.compact) == len(f.syllables)
    assert raw[f.span(len(f.compact) - 1, len(f.compact))[0]] == "x"


def test_lone_surrogates_and_empty_text() -> None:
    assert fold("a\ud800b\udfffc").compact == "abc"
    assert fold("").compact == ""
    assert fold("😀" * 1000).compact == ""


def test_same_sound_characters_share_a_syllable_form() -> None:
    assert syllable_form(fold_term("赌博")) == syllable_form(fold_term("赌搏"))
    assert syllable_form(fold_term("赌博")) != syllable_form(fold_term("赌场"))


def test_megabyte_text_is_folded_linearly() -> None:
    raw = ("正常文本，" + "\u200b" + "abc ") * 200_000  # ~2M characters
    f = fold(raw)
    assert len(f.compact) == len(f.index) == 200_000 * 7


def test_readable_keeps_punctuation_but_folds_characters() -> None:
    from hegui.moderation.normalize import readable

    assert readable("請問，怎麼做？ＡＢＣ\u200b😀") == "请问，怎么做？abc"
    assert readable("a\ud800b") == "ab"
    assert readable("") == ""
