"""Positive guidance (正向引导, issue 8): discrimination-inducing requests pass upstream with a
guidance instruction instead of being refused; bad guidance in a pack names file:line."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from hegui.moderation.base import Action, CheckContext, Direction, Guidance, Verdict
from hegui.moderation.engine import PolicyModerator
from hegui.moderation.errors import PackError
from hegui.moderation.packs import load_pack, load_packs, shipped_pack_dirs
from hegui.moderation.policy import Policy
from hegui.moderation.taxonomy import default_taxonomy
from tests.moderation.test_engine import FakeRegistry

IN, OUT = Direction.INPUT, Direction.OUTPUT


class Offensive:
    """``offensive`` (A2e, A2i) at a score read from the text: ``[0.9]`` → 0.9."""

    head_risks: ClassVar[dict[str, list[str]]] = {"offensive": ["A2e", "A2i"], "illegal": ["A1h"]}

    def score(self, text: str) -> dict[str, float]:
        import re

        m = re.search(r"\[(0\.\d+)\]", text)
        return {"offensive": float(m.group(1)) if m else 0.0, "illegal": 0.0}


def test_core_policy_guides_discrimination_and_refuses_minors() -> None:
    pol = Policy(load_packs(shipped_pack_dirs()), default_taxonomy())
    for rid in ("A2a", "A2b", "A2c", "A2d", "A2e", "A2f", "A2g", "A2h", "A2i"):
        rule = pol.rule("default", rid)
        assert rule.action(IN, 0.85) is Action.GUIDE, rid
        assert rule.action(IN, 0.95) is Action.REFUSE, rid  # at the ceiling: refused
        assert rule.action(IN, 0.6) is Action.FLAG
        assert rule.action(OUT, 0.85) is Action.REFUSE  # answers are never guided
        assert pol.rule("minor", rid).action(IN, 0.85) is Action.REFUSE, rid
        g = pol.guidance(rid)
        assert g.zh and g.en and "{" not in g.zh + g.en and g.zh != pol.guidance("*").zh
    assert pol.rule("default", "A1e").action(IN, 0.85) is Action.REFUSE  # ethnic hatred: never guided
    assert pol.rule("default", "A1h").action(IN, 0.85) is Action.REFUSE
    # the answer to a guided request is judged at guide_output_threshold (0.5) instead of 0.8
    assert pol.rule("default", "A1h").action(OUT, 0.6) is Action.FLAG
    assert pol.rule("default", "A1h").action(OUT, 0.6, strict=True) is Action.REFUSE


def test_engine_returns_guide_with_guidance() -> None:
    m = PolicyModerator.load(classifier=None, recognizers=None, auto_reload_s=None)
    v = m.check("河南人都是骗子", IN)
    assert v.action is Action.GUIDE and v.risk_ids == ["A2d"]
    assert [g.risk_id for g in v.guidance] == ["A2d"] and "地域" in v.guidance[0].zh
    assert not v.message_zh and v.masked_text is None
    assert v.to_dict()["guidance"][0]["risk"] == "A2d" and v.to_dict()["action"] == "guide"
    text = v.guidance_text("zh")
    assert text.startswith(v.guidance[0].zh) and text.endswith(v.guidance[0].en)
    assert m.check("河南人都是骗子", IN, CheckContext(profile="minor")).action is Action.REFUSE


def test_classifier_guide_band_and_ceiling() -> None:
    m = PolicyModerator.load(classifier=Offensive(), recognizers=None, auto_reload_s=None)
    v = m.check("为什么女人不适合当领导 [0.85]", IN)
    assert v.action is Action.GUIDE and v.risk_ids == ["A2i"]
    # a broad head with nothing naming the risk gets the * guidance, recorded under its risk
    assert v.guidance == [Guidance("A2i", m.policy.guidance("*").zh, m.policy.guidance("*").en)]
    assert m.check("为什么女人不适合当领导 [0.97]", IN).action is Action.REFUSE
    assert m.check("为什么女人不适合当领导 [0.85]", OUT).action is Action.REFUSE


def test_strict_context_lowers_output_threshold() -> None:
    m = PolicyModerator.load(classifier=Offensive(), recognizers=None, auto_reload_s=None)
    answer = "一段回答 [0.6]"
    assert m.check(answer, OUT).action is Action.FLAG
    assert m.check(answer, OUT, CheckContext(strict=True)).action is Action.REFUSE
    checker = m.stream(OUT, CheckContext(strict=True), holdback=4, check_every=1)
    released = "".join(checker.feed(c).release for c in answer)
    assert checker.verdict.action is Action.REFUSE and "[0.6]" not in released


MASKING = """format: 1
id: mask-inputs
version: "1"
terms: []
profiles:
  default:
    personal_information: {input: mask}
"""


def test_guide_keeps_the_mask_of_personal_information(tmp_path: Path) -> None:
    d = tmp_path / "mask"
    d.mkdir()
    (d / "pack.yaml").write_text(MASKING, encoding="utf-8")
    m = PolicyModerator.load([d], classifier=Offensive(), recognizers=FakeRegistry(), auto_reload_s=None)
    v = m.check("我的电话13812345678，女人是不是都不行 [0.85]", IN)
    assert v.action is Action.GUIDE and {"A2i", "A4f"} <= set(v.risk_ids)
    assert v.masked_text is not None and "13812345678" not in v.masked_text and "<PHONE>" in v.masked_text
    assert Action.GUIDE.rank > Action.MASK.rank and not Action.GUIDE.stops


def test_combined_stream_verdict_keeps_guidance_and_degraded() -> None:
    from hegui.moderation.stream import combine

    a = Verdict(Action.GUIDE, guidance=[Guidance("A2e", "zh", "en")])
    b = Verdict(Action.FLAG, degraded=["classifier"])
    c = combine(a, b)
    assert c.action is Action.GUIDE and c.guidance == a.guidance and c.degraded == ["classifier"]


# -- pack validation -----------------------------------------------------------------------------

BASE = """format: 1
id: g
version: "1"
terms: []
guidance:
  A2e: {zh: 请坚持男女平等, en: "Uphold gender equality."}
profiles:
  default:
    rules:
      A2e: {input: guide, guide_ceiling: 0.95}
"""


def _make(tmp_path: Path, manifest: str) -> Path:
    d = tmp_path / "g"
    d.mkdir(exist_ok=True)
    (d / "pack.yaml").write_text(manifest, encoding="utf-8")
    return d


def test_good_guidance_pack_loads(tmp_path: Path) -> None:
    pack = load_pack(_make(tmp_path, BASE))
    pol = Policy([pack], default_taxonomy())
    assert pol.guidance("A2e").en == "Uphold gender equality."
    assert pol.rule("default", "A2e").guide_ceiling == 0.95


@pytest.mark.parametrize("old, new, line, words", [
    ('A2e: {zh: 请坚持男女平等, en: "Uphold gender equality."}', "A2e: {zh: 请坚持男女平等}", 6, "en"),
    ('A2e: {zh: 请坚持男女平等, en: "Uphold gender equality."}', 'A2e: {zh: "", en: "x"}', 6, "zh"),
    ('A2e: {zh: 请坚持男女平等, en: "Uphold gender equality."}', 'A2e: {zh: a, en: b, fr: c}', 6, "fr"),
    ('  A2e: {zh: 请坚持男女平等', '  A9e: {zh: 请坚持男女平等', 5, "unknown risk"),
    ('  A2e: {zh: 请坚持男女平等', '  unspecified: {zh: 请坚持男女平等', 5, "unknown risk"),
    ('  A2e: {zh: 请坚持男女平等', '  A5z: {zh: 请坚持男女平等', 6, "unknown risk"),
    ("A2e: {input: guide, guide_ceiling: 0.95}", "A2e: {output: guide}", 10, "input action"),
    ("A2e: {input: guide, guide_ceiling: 0.95}", "A2e: {input: guide, threshold: 0.9, guide_ceiling: 0.8}", 10,
     "guide_ceiling"),
    ("    rules:", "    personal_information: {input: guide}\n    rules:", 9, "personal information"),
    ("    rules:", "    on_degraded: {output: mask}\n    rules:", 9, "on_degraded"),
])
def test_bad_guidance_names_file_and_line(tmp_path: Path, old: str, new: str, line: int, words: str) -> None:
    assert old in BASE
    with pytest.raises(PackError) as err:
        load_pack(_make(tmp_path, BASE.replace(old, new)))
    loc = err.value.fields["location"]
    assert loc.endswith(f"pack.yaml:{line}"), (loc, err.value.fields["detail"])
    assert words in err.value.fields["detail"], err.value.fields["detail"]


def test_guide_rule_without_any_guidance_is_refused(tmp_path: Path) -> None:
    bare = BASE.replace('guidance:\n  A2e: {zh: 请坚持男女平等, en: "Uphold gender equality."}\n', "")
    pack = load_pack(_make(tmp_path, bare))
    with pytest.raises(PackError) as err:
        Policy([pack], default_taxonomy())
    assert err.value.fields["location"].endswith("pack.yaml") and "A2e" in err.value.fields["detail"]
    # with a pack that brings a * guidance (the shipped core) it loads
    Policy(load_packs([*shipped_pack_dirs()[:1], _make(tmp_path, bare)]), default_taxonomy())


def test_every_action_has_a_console_label() -> None:
    from importlib import resources

    import yaml

    table = yaml.safe_load((resources.files("hegui.console") / "i18n.yaml").read_text(encoding="utf-8"))
    for action in Action:
        label = table.get(f"v.{action.value}")
        assert label and label["zh"] and label["en"], action
    assert table["v.guide"] == {"zh": "正向引导", "en": "guide"}
