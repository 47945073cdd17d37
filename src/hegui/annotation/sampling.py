"""Acceptance sampling of annotation batches with a stated AQL, and the GB/T 45674 batch rules.

The plan is ISO 2859-1:1999 (= GB/T 2828.1-2012) single sampling, normal inspection, general
inspection level II: Table 1 gives the sample-size code letter from the lot size, Table 2-A the
sample size and the acceptance / rejection numbers (Ac/Re) for the AQL; an arrow sends to the
first plan below (↓) or above (↑). The tables are data: ``data/annotation/aql.yaml``.

GB/T 45674 8.3 c is a separate rule: failed safety checks above 5 % of the batch's safety items →
the batch is discarded, whatever the AQL decision.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from hegui.errors import ValidationFailed

DISCARD_SHARE = 0.05  # GB/T 45674-2025 8.3 c [C]


@lru_cache(maxsize=1)
def tables() -> dict[str, Any]:
    raw = (resources.files("hegui") / "data" / "annotation" / "aql.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(raw))


def aqls() -> list[str]:
    return list(tables()["table_2a"])


def _aql_key(aql: float | str) -> str:
    try:
        value = float(aql)
    except (TypeError, ValueError):
        value = -1.0
    for key in aqls():
        if abs(float(key) - value) < 1e-9:
            return key
    raise ValidationFailed(message_en=f"AQL {aql}: use one of {', '.join(aqls())} (%)",
                           message_zh=f"AQL {aql}：须为 {', '.join(aqls())}（%）之一")


def code_letter(lot_size: int) -> str:
    """ISO 2859-1 Table 1, general inspection level II."""
    if lot_size < 1:
        raise ValidationFailed(message_en="lot size must be at least 1", message_zh="批量须至少为 1")
    for upper, letter in tables()["code_letters"]:
        if upper is None or lot_size <= upper:
            return str(letter)
    raise AssertionError("the last code letter has no upper bound")


@dataclass(frozen=True)
class Plan:
    lot_size: int
    aql: str
    code_letter: str  # from Table 1
    plan_letter: str  # after following Table 2-A's arrows
    sample_size: int  # = lot_size when the plan's sample is the whole lot (100 % inspection)
    ac: int
    re: int
    standard: str

    def decide(self, defects: int) -> str:
        return "accept" if defects <= self.ac else "reject"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def plan(lot_size: int, aql: float | str) -> Plan:
    """The single-sampling normal-inspection plan for ``lot_size`` items at ``aql`` percent."""
    key = _aql_key(aql)
    letter = code_letter(int(lot_size))
    t = tables()
    column = t["table_2a"][key]
    order = list(t["sample_sizes"])
    i = order.index(letter)
    while True:
        cell = str(column[order[i]])
        if cell == "down":
            i += 1
        elif cell == "up":
            i -= 1
        else:
            break
        if not 0 <= i < len(order):  # pragma: no cover - the table always ends in a plan
            raise AssertionError(f"AQL {key}: arrows leave the table at {letter}")
    ac, re_ = (int(x) for x in cell.split("/"))
    n = min(int(t["sample_sizes"][order[i]]), int(lot_size))
    return Plan(int(lot_size), key, letter, order[i], n, ac, re_, str(t["version"]))


def discard(safety_items: int, safety_failed: int) -> bool:
    """GB/T 45674 8.3 c: more than 5 % of the batch's safety items failed their check."""
    if safety_failed < 0 or safety_failed > safety_items:
        raise ValidationFailed(message_en=f"failed safety items must be between 0 and {safety_items}",
                               message_zh=f"安全核验不合格条数须在 0 到 {safety_items} 之间")
    return safety_items > 0 and safety_failed > DISCARD_SHARE * safety_items
