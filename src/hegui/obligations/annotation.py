"""IM-8 (Interim Measures Art 8: annotation rules, annotator training, quality assessment) on live
evidence (docs/annotation.md): met when an approved safety rules document in force covers all 31
Annex A risks, at least one qualified annotator (executor, passed and unexpired test) and one
qualified reviewer are active, and the latest accepted batch has an agreement measure (κ) and an
acceptance decision; otherwise not met, naming what is missing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hegui.annotation import annotators, batches, rules
from hegui.obligations.register import Finding, Status

if TYPE_CHECKING:
    from hegui.app.services import Services


def annotation_finding(sv: Services) -> Finding:
    months = sv.settings.annotation.reexam_months
    zh: list[str] = []
    en: list[str] = []
    with sv.db.session() as s:
        doc = rules.current(s, "safety")
        if doc is None:
            zh.append("无已批准且已生效的安全标注规则（hegui annotate rules add --approved-by）")
            en.append("no approved safety annotation rules in force (hegui annotate rules add --approved-by)")
        elif doc.findings.get("missing_risks"):
            miss = ", ".join(doc.findings["missing_risks"])
            zh.append(f"安全标注规则 {doc.version} 未覆盖附录 A 风险：{miss}")
            en.append(f"safety rules {doc.version} do not cover Annex A risks: {miss}")
        people = [(a, annotators.qualification(s, a, months)) for a in annotators.listing(s) if a.active]
        for role, role_zh in (("executor", "标注（执行）人员"), ("reviewer", "审核人员")):
            if not any(role in a.roles and q.qualified for a, q in people):
                zh.append(f"无考核合格且在复考期内的{role_zh}")
                en.append(f"no qualified {role} (passed, unexpired test)")
        batch = batches.latest_accepted(s)
        kappa = None
        if batch is None:
            zh.append("无已验收的标注批次（抽样验收：hegui annotate batch accept）")
            en.append("no accepted annotation batch (acceptance sampling: hegui annotate batch accept)")
        else:
            agreement = batches.latest_agreement(s, batch)
            if agreement is None:
                zh.append(f"最近验收的批次 {batch.name} 无双人标注一致性（κ）记录")
                en.append(f"the latest accepted batch {batch.name} has no agreement (κ) record")
            else:
                kappa = agreement.kappa
            name = batch.name
        version = doc.version if doc else ""
    if en:
        return Finding(Status.NOT_MET, "缺少：" + "；".join(zh), "missing: " + "; ".join(en))
    k = "undefined" if kappa is None else f"{kappa:.2f}"
    return Finding(Status.MET, f"安全标注规则 {version} 覆盖 31 类风险；合格标注与审核人员在册；最近验收批次 {name}（κ = {k}）",
                   f"safety rules {version} cover all 31 risks; qualified annotators and reviewers on record; "
                   f"latest accepted batch {name} (κ = {k})")
