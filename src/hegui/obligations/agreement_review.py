"""IM-9-L live evidence: the agreement users accept passes the agreement review (issue 11; Interim
Measures Art 9; Civil Code Arts 496–497; PIPL Arts 15, 23). The texts linted are the ones
served — the operator's ``agreement.directory`` when set, else the shipped ones — so an edited
agreement that grants a perpetual licence or drops the withdrawal of consent turns this row red."""

from __future__ import annotations

from pathlib import Path

from hegui.identity.agreement_lint import lint_agreement, load_rules, shipped_root
from hegui.obligations.register import Finding, Status
from hegui.settings import HeguiSettings


def agreement_review_finding(settings: HeguiSettings) -> Finding:
    root = Path(settings.agreement.directory) if settings.agreement.directory else shipped_root()
    version, rules = load_rules()
    third_party = any(u.third_party for u in settings.upstreams)
    found = lint_agreement(root, rules=rules, third_party=third_party)
    errors = [f for f in found if f.rule.severity == "error"]
    warnings = [f for f in found if f.rule.severity == "warning"]
    if errors:
        what = "; ".join(f"{f.rule.id} {f.where}" for f in errors)
        return Finding(Status.NOT_MET, f"协议审查（规则 {version}）发现 {len(errors)} 项错误：{what}；运行 hegui agreement lint 查看",
                       f"agreement review (rules {version}): {len(errors)} error(s): {what}; run hegui agreement lint")
    note_zh = f"，{len(warnings)} 项提示" if warnings else ""
    note_en = f", {len(warnings)} warning(s)" if warnings else ""
    return Finding(Status.MET, f"协议审查通过（规则 {version}，{len(rules)} 条{note_zh}）：{root}",
                   f"agreement review passed (rules {version}, {len(rules)} rules{note_en}): {root}")
