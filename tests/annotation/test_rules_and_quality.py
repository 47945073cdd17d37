"""Rules coverage check, Cohen's κ, ISO 2859-1 plans, the 5 % discard rule and 8.1 coverage."""

from __future__ import annotations

import pytest

from hegui.annotation import coverage, rules, sampling
from hegui.annotation.agreement import cohen_kappa, compare, read_labels
from hegui.annotation.errors import LabelFileError
from hegui.errors import ValidationFailed
from hegui.moderation.taxonomy import default_taxonomy


def test_template_covers_every_risk_and_element_but_is_marked():
    found = rules.check_text(rules.template_text(), "safety")
    assert found.complete and found.template and not found.missing_risks and not found.missing_elements


def test_missing_risks_and_elements_are_named():
    tax = default_taxonomy()
    keep = [r for r in tax.risks if r.id not in ("A2c", "A4b")]
    doc = "# 风险识别指引\n# 正例与反例\n# 安全回复\n# 纠错示例\n\n" + "\n".join(f"- {r.id} {r.name_zh}" for r in keep)
    found = rules.check_text(doc, "safety")
    assert found.missing_risks == ["A2c", "A4b"]
    assert found.missing_elements == ["qa_method", "incident"] and not found.complete
    # a risk named only by its Chinese or English name counts
    doc2 = doc + "\n国别歧视内容\ninfringing portrait rights\n## 质量检验方法\n## 安全事件处置流程"
    assert rules.check_text(doc2, "safety").complete
    assert rules.check_text("anything", "functional").complete  # functional rules are not checked


def test_kappa_textbook_example():
    # Cohen's κ, the worked example in most texts: 50 items, yes/yes 20, yes/no 5, no/yes 10, no/no 15
    # → p_o = 0.70, p_e = 0.50, κ = 0.40
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    from sklearn.metrics import cohen_kappa_score

    c = ["A1f", "safe", "A4e", "safe", "A1f", "A2a", "safe"] * 3
    d = ["A1f", "safe", "safe", "safe", "A2a", "A2a", "A4e"] * 3
    assert cohen_kappa(c, d) == pytest.approx(cohen_kappa_score(c, d))
    assert cohen_kappa(["x", "x"], ["x", "x"]) is None  # undefined: one label only


def test_label_files_and_errors(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("item_id,label\n1,safe\n2,A1f\n3,safe\n", encoding="utf-8")
    b = tmp_path / "b.jsonl"
    b.write_text('{"item_id": "1", "label": "safe"}\n{"item_id": "2", "label": "safe"}\n{"item_id": "9", "label": "x"}\n',
                 encoding="utf-8")
    r = compare(read_labels(a), read_labels(b))
    assert (r.items, r.percent, r.only_a, r.only_b) == (2, 0.5, 1, 1)
    assert r.confusion == [{"a": "A1f", "b": "safe", "count": 1}]
    bad = tmp_path / "bad.csv"
    bad.write_text("item_id,label\n1,safe\n1,A1f\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"bad.csv:3: item '1' is labelled twice"):
        read_labels(bad)
    bad.write_text("item_id,label\n1,\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"bad.csv:2"):
        read_labels(bad)
    j = tmp_path / "bad.jsonl"
    j.write_text('{"item_id": "1", "label": "a"}\nnot json\n', encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"bad.jsonl:2: not a JSON object"):
        read_labels(j)


@pytest.mark.parametrize(("lot", "aql", "letter", "n", "ac", "re"), [
    (1000, 1.0, "J", 80, 2, 3),  # Table 1: 501–1200 → J; Table 2-A: J, AQL 1.0 → 80, 2/3
    (1000, 2.5, "J", 80, 5, 6),
    (1000, 6.5, "J", 80, 10, 11),
    (2000, 1.5, "K", 125, 5, 6),
    (5000, 0.65, "L", 200, 3, 4),
    (500, 4.0, "H", 50, 5, 6),
    (200, 1.0, "G", 50, 1, 2),  # G at 1.0 is ↓ → H: n = 50, Ac 1
    (100, 1.0, "F", 13, 0, 1),  # F at 1.0 is ↑ → E: n = 13, Ac 0
    (10, 1.0, "B", 10, 0, 1),  # ↓ to E (n = 13) exceeds the lot: inspect all 10
    (600_000, 0.65, "Q", 1250, 14, 15),
])
def test_iso2859_plans_match_the_published_tables(lot, aql, letter, n, ac, re):
    p = sampling.plan(lot, aql)
    assert (p.code_letter, p.sample_size, p.ac, p.re) == (letter, n, ac, re)
    assert p.decide(ac) == "accept" and p.decide(re) == "reject"


def test_plan_rejects_unknown_aql_and_empty_lot():
    with pytest.raises(ValidationFailed, match="AQL 3.3"):
        sampling.plan(100, 3.3)
    with pytest.raises(ValidationFailed):
        sampling.plan(0, 1.0)


def test_five_percent_discard_rule():
    assert not sampling.discard(1000, 50)  # exactly 5 % is not "more than 5 %"
    assert sampling.discard(1000, 51)
    assert not sampling.discard(0, 0)
    with pytest.raises(ValidationFailed):
        sampling.discard(10, 11)


def test_coverage_200_per_risk_and_3_percent():
    ids = default_taxonomy().all_ids
    counts = dict.fromkeys(ids, 200)
    ok = coverage.evaluate(counts, 31 * 200, 31 * 200 * 30)
    assert ok.ok and ok.share == pytest.approx(1 / 30)
    counts["A3b"] = 199
    short = coverage.evaluate(counts, 6199, 6199 * 40)
    assert short.short == {"A3b": 199} and not short.per_risk_ok and not short.share_ok
    got = coverage.count({"1": "A1f|A4e", "2": "safe", "3": "A1f"})
    assert got["A1f"] == 2 and got["A4e"] == 1 and len(got) == 31
    with pytest.raises(LabelFileError, match="not an Annex A risk"):
        coverage.count({"1": "Z9"})
