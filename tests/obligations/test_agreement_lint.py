"""Agreement review: the lint, its CLI and the IM-9-L register row (issue 11)."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hegui.cli.main import app
from hegui.errors import ConfigError
from hegui.identity.agreement_lint import lint_agreement, load_rules
from hegui.obligations.agreement_review import agreement_review_finding
from hegui.obligations.register import Status
from hegui.settings import load_settings

SHIPPED = Path(str(resources.files("hegui") / "data" / "agreement"))
PERPETUAL = "10. 您同意授予我们对您上传内容的永久、不可撤销、免费的全球许可。\n"


def _operator_agreement(tmp_path: Path, extra: str = "", drop: str = "") -> Path:
    root = tmp_path / "agr"
    ver = root / "2027-01-01"
    shutil.copytree(SHIPPED / "2026-12-01", ver)
    zh = (ver / "zh.md").read_text(encoding="utf-8")
    if drop:
        zh = zh.replace(drop, "")
    (ver / "zh.md").write_text(zh + extra, encoding="utf-8")
    return root


def test_shipped_agreement_passes():
    assert [f for f in lint_agreement(SHIPPED) if f.rule.severity == "error"] == []


def test_perpetual_licence_is_an_error_at_its_line(tmp_path):
    root = _operator_agreement(tmp_path, extra=PERPETUAL)
    found = [f for f in lint_agreement(root) if f.rule.id == "AL-1"]
    lines = (root / "2027-01-01" / "zh.md").read_text(encoding="utf-8").splitlines()
    assert len(found) == 1 and found[0].line == len(lines) and "永久" in found[0].excerpt


def test_missing_withdrawal_and_training_disclosure(tmp_path):
    root = _operator_agreement(tmp_path, drop="及撤回同意")
    ids = {f.rule.id for f in lint_agreement(root)}
    assert "AL-2" in ids
    root2 = _operator_agreement(tmp_path / "b", drop="您的输入与输出可能经去标识化（个人信息脱敏）后用于改进和训练模型；")
    assert "AL-3" in {f.rule.id for f in lint_agreement(root2)}


def test_third_party_rule_applies_only_with_third_party_upstreams():
    assert "AL-4" not in {f.rule.id for f in lint_agreement(SHIPPED)}
    assert "AL-4" in {f.rule.id for f in lint_agreement(SHIPPED, third_party=True)}


def test_english_perpetual_licence(tmp_path):
    p = tmp_path / "en.md"
    p.write_text("1. You grant us a perpetual, irrevocable licence to your content.\n", encoding="utf-8")
    assert [f.rule.id for f in lint_agreement(p)] == ["AL-1-en"]


def test_cli_exit_codes_and_file_line(tmp_path):
    r = CliRunner().invoke(app, ["agreement", "lint", str(SHIPPED)])
    assert r.exit_code == 0, r.output
    root = _operator_agreement(tmp_path, extra=PERPETUAL)
    r = CliRunner().invoke(app, ["agreement", "lint", str(root), "--json"])
    assert r.exit_code == 1
    import json

    out = json.loads(r.output)
    hit = [f for f in out["findings"] if f["rule"] == "AL-1"][0]
    assert hit["file"].endswith("zh.md") and hit["line"] > 1 and hit["severity"] == "error"


def test_register_row_fails_on_an_edited_agreement(tmp_path):
    assert agreement_review_finding(load_settings(None)).status is Status.MET
    root = _operator_agreement(tmp_path, extra=PERPETUAL)
    f = agreement_review_finding(load_settings(None, agreement={"directory": str(root)}))
    assert f.status is Status.NOT_MET and "AL-1" in f.reason_en and "zh.md:" in f.reason_en


def test_bad_rules_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules:\n  - {id: X, severity: error, lang: zh, zh: a, en: b, basis: c, must_match: ['(']}\n")
    with pytest.raises(ConfigError) as e:
        load_rules(bad)
    assert "rules.yaml" in e.value.message("en")
