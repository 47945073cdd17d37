import pytest

from hegui.moderation.lexicon import Lexicon
from hegui.moderation.packs.schema import Term


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    terms = [Term("赌博", "A1h"), Term("摇头丸", "A1h", variants="pih"), Term("海洛因片", "A1h"), Term("杀", "A1f", exclude=("杀毒", "杀虫")),
             Term("kill*", "A1f"), Term("gun", "A1h"), Term("河南人", "A2d", near=("骗子",), within=8),
             Term("冰毒", "A1h", variants="-"), Term("海洛因", "A1h")]
    return Lexicon((t, "test@1") for t in terms)


def found(lex: Lexicon, text: str) -> set[str]:
    return {h.term.text for h in lex.scan(text)}


@pytest.mark.parametrize("text, term", [
    ("网上赌博", "赌博"),
    ("网上賭博", "赌博"),  # traditional
    ("赌-博", "赌博"),  # separator
    ("赌\u200b博", "赌博"),  # zero width
    ("赌😀博", "赌博"),  # emoji
    ("dubo网站", "赌博"),  # pinyin
    ("d u b o", "赌博"),  # spaced pinyin
    ("du博", "赌博"),  # pinyin/Han mix
    ("买yao tou wan", "摇头丸"),  # pinyin of a 3-character term
    ("ytw多少钱", "摇头丸"),  # initials (opted in for a 3-character term)
    ("hlyp", "海洛因片"),  # initials by default from 4 characters
    ("要头丸", "摇头丸"),  # same-sound character (3+ characters)
    ("海洛音", "海洛因"),
    ("ＫＩＬＬ them", "kill*"),
    ("k.i.l.l", "kill*"),
    ("killing", "kill*"),  # listed as a prefix
    ("buy a ɡun", "gun"),  # homoglyph
    ("河南人都是骗子", "河南人"),  # context rule satisfied
])
def test_evasions_are_found(lex: Lexicon, text: str, term: str) -> None:
    assert term in found(lex, text)


@pytest.mark.parametrize("text, term", [
    ("杀毒软件", "杀"),  # exclusion
    ("灭杀虫害用杀虫剂", "杀"),
    ("skill", "kill*"),  # word boundary
    ("begun", "gun"),
    ("gunther", "gun"),
    ("河南人很热情", "河南人"),  # context rule not satisfied
    ("读博士", "赌博"),  # 2-character terms take no same-sound matches
    ("bingdu", "冰毒"),  # variants disabled for this term
    ("dubois", "赌博"),
])
def test_innocent_texts_are_not_matched(lex: Lexicon, text: str, term: str) -> None:
    assert term not in found(lex, text)


def test_spans_map_back_to_original(lex: Lexicon) -> None:
    text = "前缀賭 😀 博后缀"
    hit = next(h for h in lex.scan(text) if h.term.text == "赌博")
    assert text[hit.start:hit.end] == "賭 😀 博"
    assert hit.kind.value != "pinyin"


def test_hits_are_capped_and_long_text_is_scanned(lex: Lexicon) -> None:
    text = "赌博" * 300_000 + "海洛因"  # 600k characters, windowed scan
    hits = lex.scan(text)
    assert sum(h.term.text == "赌博" for h in hits) <= 8
    assert any(h.term.text == "海洛因" for h in hits)


def test_term_across_window_boundary() -> None:
    from hegui.moderation import lexicon as mod

    lex = Lexicon([(Term("海洛因", "A1h"), "t@1")])
    text = "a" * (mod.WINDOW - 1) + "海洛因"
    assert [h.start for h in lex.scan(text)] == [mod.WINDOW - 1]


def test_empty_lexicon_and_text() -> None:
    assert Lexicon([]).scan("anything") == []
    assert Lexicon([(Term("x1", "A1h"), "t@1")]).scan("") == []
