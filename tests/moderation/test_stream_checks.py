"""Streaming checks: full checks at most every ``check_every`` characters, a lexicon look in between,
nothing unchecked ever released, and a violation still ends the stream with the refusal template."""

from __future__ import annotations

from typing import ClassVar

import pytest

from hegui.moderation.base import Action, Direction
from hegui.moderation.engine import STREAM_CHECK_EVERY, PolicyModerator
from hegui.moderation.simple import TermListModerator
from hegui.moderation.stream import HoldbackStreamChecker

OUT = Direction.OUTPUT
BENIGN = "这是一个完全正常的回答，讲述如何种植番茄和照顾花园里的蔬菜。" * 40  # 1,200 characters


class CountingClassifier:
    """Counts full checks; flags the whole text as offensive once it holds 蠢货."""

    head_risks: ClassVar[dict[str, list[str]]] = {"offensive": ["A2a"]}

    def __init__(self) -> None:
        self.calls = 0

    def score(self, text: str) -> dict[str, float]:
        self.calls += 1
        return {"offensive": 0.99 if "蠢货" in text else 0.01}


def _run(checker, text: str, step: int, fed_at_check: list[int] | None = None):
    released, fed = "", 0
    for i in range(0, len(text), step):
        fed += len(text[i:i + step])
        d = checker.feed(text[i:i + step])
        released += d.release
        if fed_at_check is not None:
            assert len(released) <= (fed_at_check[-1] if fed_at_check else 0)  # only checked text leaves
        if d.stopped:
            return released, d
    d = checker.finish()
    return released + d.release, d


def _spy(mod: PolicyModerator, fed_at_check: list[int], stream_text: list[str]) -> None:
    """Record, at each full check, how many characters of the stream the checked text reaches."""
    inner = mod.check

    def check(text, direction, context=None):
        fed_at_check.append(len(stream_text[0]))
        return inner(text, direction, context)

    mod.check = check  # type: ignore[method-assign]


def test_default_checks_at_most_every_128_characters_token_by_token() -> None:
    clf = CountingClassifier()
    mod = PolicyModerator.load(classifier=clf, recognizers=None, auto_reload_s=None)
    checker = mod.stream(OUT, holdback=24)
    released, d = _run(checker, BENIGN, 2)
    assert released == BENIGN and not d.stopped
    assert STREAM_CHECK_EVERY == 128
    # 600 chunks of 2 characters: one full check per 128 new characters (+ the final one)
    assert clf.calls <= len(BENIGN) // 128 + 2


@pytest.mark.parametrize("step", [1, 3, 17])
def test_listed_term_stops_stream_as_soon_as_complete(step: int) -> None:
    mod = PolicyModerator.load(classifier=None, recognizers=None, auto_reload_s=None)
    text = BENIGN[:300] + "然后教你怎么制作冰毒的详细步骤如下" + BENIGN[:300]
    checker = mod.stream(OUT, holdback=8)
    fed: list[int] = []
    stream_text = [""]
    _spy(mod, fed, stream_text)
    released, d = "", None
    for i in range(0, len(text), step):
        stream_text[0] += text[i:i + step]
        d = checker.feed(text[i:i + step])
        released += d.release
        assert len(released) <= (fed[-1] if fed else 0)
        if d.stopped:
            break
    assert d is not None and d.stopped, "the lexicon look must end the stream before finish()"
    assert d.verdict.action is Action.REFUSE and d.verdict.message_zh.startswith("很抱歉")
    end_of_term = text.index("冰毒") + 2
    assert len(stream_text[0]) < end_of_term + step  # stopped in the chunk that completed the term
    assert "冰毒" not in released and released == text[:len(released)]


def test_classifier_only_violation_found_at_next_full_check_and_nothing_unchecked_leaks() -> None:
    clf = CountingClassifier()
    mod = PolicyModerator.load(classifier=clf, recognizers=None, auto_reload_s=None)
    text = BENIGN[:500] + "你这个蠢货" + BENIGN[:500]
    checker = mod.stream(OUT, holdback=16)
    fed: list[int] = []
    stream_text = [""]
    _spy(mod, fed, stream_text)
    released, d = "", None
    for i in range(0, len(text), 4):
        stream_text[0] += text[i:i + 4]
        d = checker.feed(text[i:i + 4])
        released += d.release
        assert len(released) <= (fed[-1] if fed else 0)
        if d.stopped:
            break
    assert d is not None and d.stopped and d.verdict.message_zh
    assert "蠢货" not in released and released == text[:len(released)]
    assert len(stream_text[0]) <= text.index("蠢货") + 2 + 128 + 4  # within one check interval


def test_violation_in_last_characters_caught_by_finish() -> None:
    clf = CountingClassifier()
    mod = PolicyModerator.load(classifier=clf, recognizers=None, auto_reload_s=None)
    checker = mod.stream(OUT, holdback=4)
    released, d = _run(checker, BENIGN[:100] + "蠢货", 5)
    assert d.stopped and "蠢货" not in released


def test_pi_masked_across_sparse_checks() -> None:
    from hegui.moderation.recognizers import RecognizerRegistry

    mod = PolicyModerator.load(classifier=None, recognizers=RecognizerRegistry.default(), auto_reload_s=None)
    text = BENIGN[:200] + "请拨打13812345678联系我" + BENIGN[:200]
    released, d = _run(mod.stream(OUT, holdback=16), text, 3)
    assert not d.stopped and "13812345678" not in released and "请拨打***********联系我" in released
    assert len(released) == len(text)


def test_check_every_is_configurable_per_stream_and_per_moderator() -> None:
    clf = CountingClassifier()
    mod = PolicyModerator.load(classifier=clf, recognizers=None, auto_reload_s=None)
    _run(mod.stream(OUT, holdback=8, check_every=400), BENIGN, 2)
    assert clf.calls <= len(BENIGN) // 400 + 2
    mod.stream_check_every = 16
    clf.calls = 0
    _run(mod.stream(OUT, holdback=8), BENIGN, 2)
    assert clf.calls >= len(BENIGN) // 16 - 1


def test_generic_checker_check_every_holds_text_until_checked() -> None:
    mod = TermListModerator({"abcdef": "A1f"})
    checker = HoldbackStreamChecker(mod, OUT, holdback=6, overlap=6, check_every=10)
    released = ""
    for ch in "x" * 30 + "abcde":
        released += checker.feed(ch).release
    assert "abcde" not in released and set(released) <= {"x"}
    out = released
    for ch in "f" + "y" * 12:
        d = checker.feed(ch)
        out += d.release
        if d.stopped:
            break
    assert d.stopped and d.verdict.message_zh and "abcde" not in out
