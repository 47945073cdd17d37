"""Lures and illegal services next to a contact: category → GB/T 45654 risk, score by evidence."""

from __future__ import annotations

import pytest

from hegui.moderation.recognizers.abuse import (
    HOOKS_SCORE,
    SERVICE_SCORE,
    WARNING_SCORE,
    WEAK_SCORE,
    AbuseLureRecognizer,
)
from hegui.moderation.recognizers.content import ContentFinding, is_personal


@pytest.fixture(scope="module")
def rec() -> AbuseLureRecognizer:
    return AbuseLureRecognizer()


def best(findings: list[ContentFinding]) -> ContentFinding:
    assert findings, "expected a lure finding"
    return max(findings, key=lambda f: f.score)


@pytest.mark.parametrize("text, risk, category", [
    ("百家乐 时时彩 首充返水，加扣扣①②③④⑤⑥⑦⑧", "A1h", "gambling"),
    ("网赌平台日赚千元 V：win8888", "A1h", "gambling"),
    ("裸聊 看片 加V：sexy888", "A1f", "porn"),
    ("同城约，主页有联系方式", "A1f", "porn"),
    ("办证 刻章 联系 3194704877", "A1h", "black_market"),
    ("收银行卡 四件套 高价，TG: @cardbuyer", "A1h", "black_market"),
    ("专业DDoS 压力测试 有意者 QQ 1234567", "A1h", "black_market"),
    ("四六级代考包过，加我➕", "A1h", "black_market"),
    ("游戏外挂 透视自瞄 出售，企鹅 ①②③④⑤⑥", "A1h", "black_market"),
    ("淘宝退款客服，请加QQ 88776655 办理", "A1h", "fraud"),
    ("导师带单 稳赚不赔 进群 微信 invest_2024", "A1h", "fraud"),
    ("祖传秘方 根治 无效退款 v我", "A3e", "false_ad"),
])
def test_service_next_to_a_contact_is_refused(rec: AbuseLureRecognizer, text: str, risk: str,
                                              category: str) -> None:
    f = best(rec.analyze(text))
    assert (f.risk_id, f.category) == (risk, category)
    assert f.score == SERVICE_SCORE and f.entity_type == f"LURE_{category.upper()}"
    assert not is_personal(f) and text[f.start:f.end] == f.text


def test_disguised_lure_words_still_match(rec: AbuseLureRecognizer) -> None:
    f = best(rec.analyze("百.家.樂 加 扣扣 ①②③④⑤⑥⑦"))  # separators and a traditional character
    assert f.risk_id == "A1h" and f.score == SERVICE_SCORE and f.text == "百.家.樂"


def test_hooks_need_a_handle_or_a_disguise(rec: AbuseLureRecognizer) -> None:
    # one hook beside a disguised contact, or two beside a handle: refused
    assert best(rec.analyze("兼职 vx: job123")).score == HOOKS_SCORE
    assert best(rec.analyze("兼职日结 微信 job123")).score == HOOKS_SCORE
    # one hook beside a plain handle or a plain "加我微信": flagged
    assert best(rec.analyze("兼职 微信 job123")).score == WEAK_SCORE
    assert best(rec.analyze("贷款找我，加我微信")).score == WEAK_SCORE
    # hooks beside "联系我" / "私聊" only: two ordinary things, nothing
    assert rec.analyze("有二手车资源、贷款需要的联系我") == []
    assert rec.analyze("兼职日结，有意私聊") == []


def test_nothing_without_a_contact_or_out_of_reach(rec: AbuseLureRecognizer) -> None:
    assert rec.analyze("百家乐是一种纸牌游戏，澳门赌场里很常见") == []
    far = "百家乐" + "，今天天气很好我们一起去公园散步然后吃饭" * 4 + "扣扣 ①②③④⑤⑥⑦"
    assert rec.analyze(far) == []


def test_warnings_about_the_scheme_are_not_refused(rec: AbuseLureRecognizer) -> None:
    f = best(rec.analyze("警惕刷单诈骗！官方客服不会让你加QQ 123456789 做任务"))
    assert f.score == WARNING_SCORE < 0.5


def test_ordinary_ads_and_chat(rec: AbuseLureRecognizer) -> None:
    for text in ("本店家电上门服务，联系电话 010-12345678", "会议改到3点，有事微信我",
                 "周末超市福利多多，关注公众号领券"):
        assert rec.analyze(text) == [], text
    # 返水 is also plumbing: a hook (flag for review at most), never a service
    assert best(rec.analyze("地漏返水怎么修？加我微信我教你")).score == WEAK_SCORE


def test_bad_input_is_bounded(rec: AbuseLureRecognizer) -> None:
    for text in ["", "\ud800扣扣①②③④⑤⑥", "百家乐 QQ 1234567 " * 5000, "加我➕" * 20000]:
        rec.analyze(text)
