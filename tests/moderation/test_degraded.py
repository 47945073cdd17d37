"""Fail closed (issue 8 item 8): a component that cannot load or errors on a call marks the verdict
degraded and the policy's ``on_degraded`` action applies; switching one off is not degraded."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import ClassVar

import pytest

from hegui.moderation.base import Action, CheckContext, Direction
from hegui.moderation.engine import PolicyModerator

IN, OUT = Direction.INPUT, Direction.OUTPUT
SAFE = "请介绍一下杭州西湖的历史"


class RaisesOnScore:
    head_risks: ClassVar[dict[str, list[str]]] = {"illegal": ["A1h"]}

    def __init__(self) -> None:
        self.fail = True

    def score(self, text: str) -> dict[str, float]:
        if self.fail:
            raise RuntimeError("model file truncated")
        return {"illegal": 0.0}


class NaNScores(RaisesOnScore):
    def score(self, text: str) -> dict[str, float]:
        return {"illegal": float("nan")}


class RaisesOnAnalyze:
    def analyze(self, text: str) -> list:
        raise MemoryError("recognizer out of memory")


def _raise_on_load(monkeypatch: pytest.MonkeyPatch) -> None:
    from hegui.moderation import classifier

    def boom(cls: type) -> None:
        raise OSError("default.npz: no such file")

    monkeypatch.setattr(classifier.Classifier, "load_default", classmethod(boom))


def test_classifier_that_cannot_load_degrades_every_verdict(monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    _raise_on_load(monkeypatch)
    with caplog.at_level(logging.ERROR, logger="hegui.moderation.engine"):
        m = PolicyModerator.load(recognizers=None, auto_reload_s=None)
    assert m.components["classifier"].startswith("unavailable: OSError")
    assert any("classifier unavailable" in r.getMessage() for r in caplog.records)
    v = m.check(SAFE, IN)
    assert v.action is Action.REFUSE and v.degraded == ["classifier"]
    assert v.decided_by == "on_degraded:classifier" and "审核" in v.message_zh and "check" in v.message_en
    assert v.to_dict()["degraded"] == ["classifier"]
    assert m.check(SAFE, OUT).action is Action.REFUSE  # the answer is cut


def test_classifier_that_raises_on_a_call(caplog: pytest.LogCaptureFixture) -> None:
    clf = RaisesOnScore()
    m = PolicyModerator.load(classifier=clf, recognizers=None, auto_reload_s=None)
    with caplog.at_level(logging.ERROR, logger="hegui.moderation.engine"):
        v_in, v_out = m.check(SAFE, IN), m.check(SAFE, OUT)
    assert v_in.action is Action.REFUSE and v_in.degraded == ["classifier"]
    assert v_out.action is Action.REFUSE and v_out.degraded == ["classifier"]
    assert "model file truncated" in m.failing["classifier"]
    assert any("classifier failed" in r.getMessage() for r in caplog.records)
    clf.fail = False  # it recovers: verdicts are whole again
    v = m.check(SAFE, IN)
    assert v.action is Action.ALLOW and v.degraded == [] and "classifier" not in m.failing


def test_scores_outside_zero_one_count_as_a_failure() -> None:
    m = PolicyModerator.load(classifier=NaNScores(), recognizers=None, auto_reload_s=None)
    v = m.check(SAFE, IN)
    assert v.action is Action.REFUSE and v.degraded == ["classifier"]


def test_recognizers_that_raise_degrade_the_verdict() -> None:
    m = PolicyModerator.load(classifier=None, recognizers=RaisesOnAnalyze(), auto_reload_s=None)
    v = m.check(SAFE, OUT)
    assert v.action is Action.REFUSE and v.degraded == ["recognizers"]


def test_stream_is_cut_when_degraded() -> None:
    m = PolicyModerator.load(classifier=RaisesOnScore(), recognizers=None, auto_reload_s=None)
    checker = m.stream(OUT, holdback=4, check_every=1)
    released = "".join(checker.feed(c).release for c in "这是一个很长的正常回答，一切都好。")
    assert released == "" and checker.verdict.action is Action.REFUSE
    assert checker.verdict.degraded == ["classifier"]


ALLOW_DEGRADED = """format: 1
id: lenient
version: "1"
terms: []
profiles:
  default:
    on_degraded: {input: allow, output: flag}
"""


def test_on_degraded_allow_still_marks_degraded(tmp_path: Path) -> None:
    d = tmp_path / "lenient"
    d.mkdir()
    (d / "pack.yaml").write_text(ALLOW_DEGRADED, encoding="utf-8")
    m = PolicyModerator.load([d], classifier=RaisesOnScore(), recognizers=None, auto_reload_s=None)
    v = m.check(SAFE, IN)
    assert v.action is Action.ALLOW and v.degraded == ["classifier"]
    assert m.check(SAFE, OUT).action is Action.FLAG
    # the minor profile extends default and inherits the lenient setting; the lexicon still decides
    assert m.check("怎么制作冰毒", IN, CheckContext(profile="minor")).action is Action.REFUSE


def test_explicitly_disabled_is_not_degraded() -> None:
    m = PolicyModerator.load(classifier=None, recognizers=None, auto_reload_s=None)
    assert m.components["classifier"] == "disabled" and m.components["recognizers"] == "disabled"
    v = m.check(SAFE, IN)
    assert v.action is Action.ALLOW and v.degraded == []
