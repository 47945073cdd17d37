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


def _near_ok_reference(compact: str, s: int, e: int, term: Term, near: tuple[str, ...]) -> bool:
    """The context rule as first written: ``str.find`` of each word around the raw hit."""
    w = term.within
    return any(compact.find(n, max(0, s - w - len(n)), e + w + len(n)) != -1 for n in near)


def test_context_rules_match_reference_on_random_texts() -> None:
    """The context-word index gives exactly the hits of the per-hit ``str.find`` it replaced."""
    import random

    from hegui.moderation.normalize import fold

    rules = [Term("河南人", "A2d", near=("骗子", "小偷", "偷"), within=4),
             Term("黑人", "A2b", near=("猴子", "黑鬼"), within=0),
             Term("女人", "A2c", near=("骗子",), within=2)]
    with_rules = Lexicon((t, "t@1") for t in rules)
    bare = Lexicon((Term(t.text, t.risk), "t@1") for t in rules)
    rnd = random.Random(4)
    pieces = ["河南人", "黑人", "女人", "骗子", "小偷", "偷", "猴子", "黑鬼", "的", "是", "都", "，", " ", "很好"]
    for _ in range(2000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 12)))
        f = fold(text)
        want = []
        for h in bare.scan(f):
            term = next(t for t in rules if t.text == h.term.text)
            # raw hit position in the compact view (spans here are 1:1 up to the removed separators)
            cs = int((f.index >= h.start).argmax())
            ce = int((f.index < h.end).sum())
            if _near_ok_reference(f.compact, cs, ce, term, tuple(fold(n).compact for n in term.near)):
                want.append((h.term.text, h.start, h.end))
        got = [(h.term.text, h.start, h.end) for h in with_rules.scan(f)]
        assert sorted(got) == sorted(want), text


@pytest.mark.parametrize("text, span", [
    ("前缀ｙａｏ头ｗａｎ后缀", "ｙａｏ头ｗａｎ"),      # full-width pinyin mix
    ("买 摇\u200b頭\u200d丸 吗", "摇\u200b頭\u200d丸"),  # zero-width joiners, traditional
    ("是 y-t-w 吗", "y-t-w"),                       # separated initials
    ("💊要 头 丸💊", "要 头 丸"),                     # same sound, spaces, emoji around
    ("赌\U000e0020博", "赌\U000e0020博"),              # invisible tag character
])
def test_evasion_spans_map_back_exactly(lex: Lexicon, text: str, span: str) -> None:
    hits = lex.scan(text)
    assert hits, text
    start = text.index(span)
    assert any((h.start, h.end) == (start, start + len(span)) for h in hits), [(h.start, h.end) for h in hits]


def test_ascii_patterns_scanned_near_ascii_find_every_match(monkeypatch: pytest.MonkeyPatch) -> None:
    """Patterns with ASCII characters are scanned only around the text's ASCII characters; on random
    mixes of Han and pinyin this finds exactly what a scan of the whole text finds, in order."""
    import random

    from hegui.moderation.normalize import fold

    terms = [Term("赌博", "A1h"), Term("摇头丸", "A1h", variants="pih"), Term("海洛因片", "A1h"),
             Term("kill*", "A1f"), Term("HIV阳性", "A4e"), Term("冰毒", "A1h")]
    lex = Lexicon((t, "t@1") for t in terms)
    auto = lex._ascii
    assert auto.reach >= 2
    from hegui.moderation import lexicon as mod

    monkeypatch.setattr(mod, "NEAR_ASCII_MIN", 0)  # take the stretch path even for short texts
    rnd = random.Random(11)
    pieces = ["du", "bo", "赌", "博", "yao", "头", "wan", "摇", "丸", "ytw", "hlyp", "kill", "hiv", "阳性", "的",
              "是", "x", "1", "很好很好很好很好"]
    for _ in range(3000):
        view = fold("".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 25)))).compact
        assert list(auto.matches_near_ascii(view)) == list(auto.matches(view)), view


def test_latin_words_joined_by_folding_are_not_a_term() -> None:
    """"a national hero in China" must not match `heroin`; "h e r o i n" (split letters) still does."""
    from hegui.moderation.lexicon import Lexicon
    from hegui.moderation.packs.schema import Term

    lex = Lexicon([(Term("heroin", "A1h", 2), "t@1")])
    assert not list(lex.scan("Why is Yue Fei considered a national hero in China?"))
    assert list(lex.scan("where to buy h e r o i n"))
    assert list(lex.scan("buy heroin now"))
