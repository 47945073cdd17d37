"""A broad classifier head alone does not name a risk it has no evidence for (truthful refusals)."""

from hegui.moderation.base import Direction
from hegui.moderation.engine import PolicyModerator


class BroadOnly:
    """A stand-in classifier: only the broad `unsafe` head fires."""

    head_risks = {"unsafe": ["A1h", "A2i", "A4f"], "illegal": ["A1h"]}

    def __init__(self, heads: dict[str, float]) -> None:
        self.heads = heads

    def score(self, text: str) -> dict[str, float]:
        return dict(self.heads)


def _mod(heads):
    return PolicyModerator.load(classifier=BroadOnly(heads), recognizers=None, auto_reload_s=None)


def test_broad_head_alone_gets_the_unspecified_template():
    v = _mod({"unsafe": 0.999, "illegal": 0.01}).check("some text with no listed term", Direction.INPUT)
    assert v.action.stops
    assert "可能存在安全风险" in v.message_zh and "may be unsafe" in v.message_en
    assert "歧视" not in v.message_zh and "personal information" not in v.message_en
    assert all(r.risk_id.startswith("A") for r in v.risks)


def test_specific_head_names_its_risk():
    v = _mod({"unsafe": 0.999, "illegal": 0.99}).check("some text with no listed term", Direction.INPUT)
    assert v.action.stops and [r.risk_id for r in v.risks][0] == "A1h"
    assert "可能存在安全风险" not in v.message_zh
