import pytest

from hegui.moderation.coverage import coverage
from hegui.moderation.errors import PackError
from hegui.moderation.packs.schema import Term


def test_counts_distinct_folded_terms_and_lists_gaps() -> None:
    terms = [Term("赌博", "A1h"), Term("賭博", "A1h"), Term("毒品", "A1h"), Term("黑鬼", "A2a")]
    rep = coverage(terms, profile="tc260-003-2024")
    by = {r.risk_id: r for r in rep.risks}
    assert rep.total == 3  # 賭博 folds to 赌博
    assert by["A1h"].terms == 2 and by["A1h"].minimum == 200 and by["A1h"].gap == 198
    assert by["A2a"].minimum == 100 and by["A3a"].minimum == 0
    assert {g.risk_id for g in rep.gaps} == {rep.risks[i].risk_id for i in range(17)}
    assert rep.total_gap == 10_000 - 3 and not rep.meets


def test_meets_when_enough() -> None:
    terms = [Term(f"term{i}x{r}", r) for r in ["A1a", "A1b", "A1c", "A1d", "A1e", "A1f", "A1g", "A1h"]
             for i in range(1250)]
    terms += [Term(f"w{i}y{r}", r) for r in ["A2a", "A2b", "A2c", "A2d", "A2e", "A2f", "A2g", "A2h", "A2i"]
              for i in range(100)]
    rep = coverage(terms)
    assert rep.meets and rep.total == 10_900


def test_unknown_profile() -> None:
    with pytest.raises(PackError):
        coverage([], profile="nope")
