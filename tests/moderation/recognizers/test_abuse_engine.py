"""Platform abuse through the engine: content findings take their risk's rule, PI keeps its action."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hegui.moderation.base import Action, CheckContext, Direction
from hegui.moderation.engine import PolicyModerator
from hegui.moderation.recognizers import RecognizerRegistry
from hegui.moderation.recognizers.content import ContentFinding

IN, OUT = Direction.INPUT, Direction.OUTPUT
MINOR = CheckContext(profile="minor")


@pytest.fixture(scope="module")
def mod() -> PolicyModerator:
    return PolicyModerator.load(classifier=None, recognizers=RecognizerRegistry.default(), auto_reload_s=None)


@pytest.mark.parametrize("direction", [IN, OUT])
def test_bare_disguised_contact_is_flagged_as_a3e(mod: PolicyModerator, direction: Direction) -> None:
    # the PI action would allow this in inputs; the A3e rule flags it in both directions
    v = mod.check("扣扣：①②③④⑤⑥⑦⑧", direction)
    assert v.action is Action.FLAG and v.risk_ids == ["A3e"]
    assert v.risks[0].evidence[0].source == "recognizer:contact_handle:CONTACT_HANDLE"
    assert v.masked_text is None


@pytest.mark.parametrize("text, risk", [
    ("百家乐 首充返水，加扣扣①②③④⑤⑥⑦⑧", "A1h"),
    ("裸聊看片 加V：sexy888", "A1f"),
    ("专业办证刻章 联系 3194704877", "A1h"),
    ("淘宝退款客服，请加QQ 88776655 办理", "A1h"),
])
def test_contact_with_a_lure_is_refused_with_the_risk_template(mod: PolicyModerator, text: str, risk: str) -> None:
    v = mod.check(text, IN)
    assert v.action is Action.REFUSE and v.risk_ids[0] == risk
    assert v.message_zh and v.message_en
    assert (v.message_zh, v.message_en) == mod.policy.template(risk)


@pytest.mark.parametrize("text", [
    "会议改到3点，有事微信我", "我的QQ群号是学习群", "工商银行客服热线95588", "价格199元，支持微信支付",
    "订单号 4200001234567890，2024-05-06 10:30 发货", "微信 abc123",
])
def test_ordinary_text_is_allowed(mod: PolicyModerator, text: str) -> None:
    assert mod.check(text, IN).action is Action.ALLOW


def test_minor_profile_is_stricter(mod: PolicyModerator) -> None:
    assert mod.check("扣扣：①②③④⑤⑥⑦⑧", IN, MINOR).action is Action.REFUSE  # threshold 0.5 for minors
    assert mod.check("微信 abc123", IN, MINOR).action is Action.FLAG  # plain handle: flag 0.3 for minors


def test_phone_in_output_is_still_masked_not_refused(mod: PolicyModerator) -> None:
    v = mod.check("有问题加微信13812345678", OUT)
    assert v.action is Action.MASK and v.masked_text == "有问题加微信138****5678"
    assert "A3e" not in v.risk_ids


@dataclass(frozen=True)
class _Registry:
    found: list

    def analyze(self, text: str) -> list:
        return self.found

    def mask(self, text: str, findings: list) -> str:
        return text


def test_content_findings_skip_the_pi_action_and_masking() -> None:
    a3e = ContentFinding(0, 2, "扣扣", "CONTACT_HANDLE", "A3e", 0.9, "fake")
    m = PolicyModerator.load(classifier=None, recognizers=_Registry([a3e]), auto_reload_s=None)
    v = m.check("扣扣", OUT)  # the PI output action is mask; the A3e rule refuses at 0.9
    assert v.action is Action.REFUSE and v.risk_ids == ["A3e"] and v.masked_text is None
    # a content finding naming an unknown risk is treated as personal information (A4f), as before
    odd = ContentFinding(0, 2, "扣扣", "X", "Z9z", 0.9, "fake")
    v = PolicyModerator.load(classifier=None, recognizers=_Registry([odd]), auto_reload_s=None).check("扣扣", OUT)
    assert v.action is Action.MASK and v.risk_ids == ["A4f"]


def test_lexicon_abuse_terms(mod: PolicyModerator) -> None:
    assert mod.check("百家乐首充返水", IN).action is Action.REFUSE  # starter-zh/abuse.tsv
    assert mod.check("地漏返水怎么办", IN).action is Action.ALLOW  # 返水 counts only near gambling words
    assert mod.check("收购对公账户", IN).action is Action.REFUSE
    v = mod.check("祖传秘方", IN)
    assert v.action is Action.FLAG and v.risk_ids == ["A3e"]
