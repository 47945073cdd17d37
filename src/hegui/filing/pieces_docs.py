"""Pieces written from the service profile: the application form, the agreement and privacy
terms, the annotation-rules statement, the algorithm-mechanism public text and the letters to sign
(security-requirements §9; Alg. Rec. Art 24; Interim Measures Arts 9, 17, 19)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import yaml

from hegui.filing.model import Built, Doc, Dossier, PieceStatus, Track
from hegui.filing.render import page_html, text, text_doc
from hegui.settings import DEMO_PROVIDER_CODE

ANNOTATION_DIR = "filing"  # <var_dir>/filing/annotation-rules.{md,pdf,docx,txt}
ANNOTATION_SUFFIXES = (".md", ".pdf", ".docx", ".txt", ".html")
FORM_TITLE = {Track.ALGORITHM: ("算法备案填报信息", "Algorithm filing: portal fields"),
              Track.MODEL: ("生成式人工智能（大语言模型）上线备案表", "Large-model filing application form"),
              Track.REGISTRATION: ("生成式人工智能服务登记表", "Registration form")}


def _models(d: Dossier) -> list[dict[str, str]]:
    return [{"upstream": u.name, "base_model": u.base_model, "provider": u.base_model_provider,
             "filing_number": u.base_model_filing_number, "region": u.region} for u in d.settings.upstreams]


def active_users(d: Dossier) -> dict[str, int] | None:
    """Distinct users with a request in the last day (DAU) and 30 days (MAU), from the usage records."""
    if d.db is None:
        return None
    if "users" not in d.cache:
        from sqlalchemy import func, select

        from hegui.storage.models import UsageRecord

        now = d.now.astimezone(dt.timezone.utc).replace(tzinfo=None)
        out: dict[str, int] | None = {}
        try:
            with d.db.session() as s:
                for key, days in (("dau", 1), ("mau", 30)):
                    q = select(func.count(func.distinct(UsageRecord.user_id))).where(
                        UsageRecord.user_id.is_not(None), UsageRecord.created_at >= now - dt.timedelta(days=days))
                    out[key] = int(s.execute(q).scalar_one())  # type: ignore[index]
        except Exception:  # the count is a convenience: a database that cannot answer leaves it blank
            out = None
        d.cache["users"] = out
    return d.cache["users"]


def form(d: Dossier, track: Track) -> Built:
    """Item 0 / portal fields: who files what (Alg. Rec. Art 24: name, form, field, type)."""
    svc, clock = d.settings.service, d.clock
    users = active_users(d)
    fields: dict[str, object] = {
        "provider_name": svc.provider_name, "provider_code": svc.provider_code, "service_name": svc.service_name,
        "service_form": "应用程序接口及网页 API and web", "field": "；".join(svc.occasions),
        "algorithm_type": "生成合成类 generation and synthesis", "role": "服务提供者 service provider",
        "population": svc.population, "purposes": svc.purposes, "base_models": _models(d),
        "algorithm_filing_number": svc.filing_number, "model_filing_number": svc.model_filing_number,
        "launch_date": svc.launch_date.isoformat() if svc.launch_date else "",
        "filing_due_on": clock.due_on.isoformat() if clock.due_on else "", "contact": svc.contact,
        "dau": users["dau"] if users else None, "mau": users["mau"] if users else None,
        "legal_representative": "", "assessment_lead": "",  # filled in by hand, signed and sealed
    }
    blank: list[tuple[str, str]] = []
    if svc.provider_code == DEMO_PROVIDER_CODE or "demo" in svc.provider_name.lower():
        blank.append(("服务提供者名称与统一社会信用代码仍为演示值（service.provider_name / provider_code）",
                      "provider name and code are still the demo placeholders (service.provider_name / provider_code)"))
    if svc.launch_date is None:
        blank.append(("未填写上线日期（service.launch_date）", "no launch date (service.launch_date)"))
    if not svc.contact or svc.contact.endswith("@example.com"):
        blank.append(("联系方式仍为示例地址（service.contact）", "contact is still the example address (service.contact)"))
    tz, te = FORM_TITLE[track]
    doc = Doc(tz, te, signatures=["法定代表人 Legal representative", "评估负责人 Assessment lead"])
    doc.section("字段 Fields", table=[["字段 Field", "内容 Value"]] + [
        [k, json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else ("" if v is None else str(v))]
        for k, v in fields.items()])
    files = {"form.json": (json.dumps(fields, ensure_ascii=False, indent=1) + "\n").encode(),
             "form.yaml": yaml.safe_dump(fields, allow_unicode=True, sort_keys=False).encode(),
             "form.html": page_html(doc).encode()}
    if blank:
        return Built(PieceStatus.MISSING, files, doc, "；".join(z for z, _ in blank), "; ".join(e for _, e in blank),
                     "在 hegui.toml 的 [service] 中填写真实的提供者名称、代码、上线日期与联系方式",
                     "set the real provider name, code, launch date and contact under [service] in hegui.toml")
    return Built(PieceStatus.TO_SIGN, files, doc, "字段已由配置填写；法定代表人与评估负责人签字并盖章",
                 "fields filled from the settings; the legal representative and the assessment lead sign and seal")


def agreement(d: Dossier, track: Track) -> Built:
    """Item 2: the service agreement and privacy terms in force (Interim Measures Art 9)."""
    from hegui.errors import ConfigError
    from hegui.identity.agreement import _root, current_agreement

    try:
        ag = current_agreement(d.settings)
    except ConfigError as exc:
        return Built(PieceStatus.MISSING, reason_zh=exc.message("zh"), reason_en=exc.message("en"),
                     fix_zh="在 agreement.directory 下放置 <版本>/zh.md 与 en.md", fix_en="put <version>/zh.md and en.md under agreement.directory")
    files = {f"agreement-{ag.version}.zh.md": ag.zh.encode(), f"agreement-{ag.version}.en.md": ag.en.encode()}
    privacy = sorted((_root(d.settings) / ag.version).glob("privacy*.md"))
    for p in privacy:
        files[p.name] = p.read_bytes()
    doc = text_doc(f"# 服务协议与隐私政策 / Service agreement and privacy policy\n\n版本 version {ag.version}，"
                   f"文本摘要 sha256 {ag.text_hash}\n\n" + ag.zh)
    if not privacy:
        return Built(PieceStatus.FLAGGED, files, doc, "无单独的隐私政策，以服务协议中的个人信息条款代替",
                     "no separate privacy policy: the agreement's personal-information clause stands in",
                     f"在协议目录 {ag.version}/ 下加入 privacy.zh.md 与 privacy.en.md",
                     f"add privacy.zh.md and privacy.en.md to the agreement folder {ag.version}/")
    return Built(PieceStatus.OK, files, doc, f"协议版本 {ag.version}", f"agreement version {ag.version}")


def annotation_file(d: Dossier) -> Path | None:
    folder = Path(d.settings.var_dir) / ANNOTATION_DIR
    found = [folder / f"annotation-rules{s}" for s in ANNOTATION_SUFFIXES if (folder / f"annotation-rules{s}").is_file()]
    return found[0] if found else None


def _recorded_rules(d: Dossier) -> Built | None:
    """The approved rules documents in force from ``hegui annotate`` (docs/annotation.md), if any."""
    if d.db is None:
        return None
    from hegui.annotation import rules

    with d.db.session() as s:
        docs = [r for r in (rules.current(s, k) for k in rules.KINDS) if r is not None]
        if not docs:
            return None
        files = {f"annotation-rules-{r.kind}-v{re.sub(r'[^A-Za-z0-9._-]+', '_', r.version)}"
                 f"{Path(r.file_name).suffix.lower()}": r.content for r in docs}
        lines = [f"{r.kind} v{r.version}，生效 effective {r.effective_on}，批准 approved by {r.approved_by}，sha256 {r.sha256}"
                 for r in docs]
        safety = next((r for r in docs if r.kind == "safety"), None)
        missing = list(safety.findings.get("missing_risks", [])) if safety else []
    doc = Doc("数据标注规则", "Annotation rules").section("", lines)
    if safety is None or missing:
        gap_zh = "无已批准的安全标注规则" if safety is None else f"安全标注规则未覆盖风险 {', '.join(missing)}"
        gap_en = "no approved safety annotation rules" if safety is None else f"safety rules miss risks {', '.join(missing)}"
        return Built(PieceStatus.FLAGGED, files, doc, gap_zh, gap_en, "hegui annotate rules add --kind safety …",
                     "hegui annotate rules add --kind safety …")
    return Built(PieceStatus.OK, files, doc, "已批准的标注规则（hegui annotate）", "approved rules (hegui annotate)")


def annotation(d: Dossier, track: Track) -> Built:
    """Item 3: annotation rules, or "not applicable" with reasons (Interim Measures Arts 8, 19)."""
    from importlib import resources

    recorded = _recorded_rules(d)
    if recorded is not None:
        return recorded
    path = annotation_file(d)
    if path is not None:
        doc = Doc("数据标注规则", "Annotation rules").section("", [f"运营方提供的文件 operator's file: {path.name}"])
        return Built(PieceStatus.OK, {path.name: path.read_bytes()}, doc, f"运营方文件 {path}", f"operator file {path}")
    tpl = (resources.files("hegui") / "data" / "filing" / "annotation-rules-template.md").read_text(encoding="utf-8")
    where = Path(d.settings.var_dir) / ANNOTATION_DIR / "annotation-rules.md"
    return Built(PieceStatus.MISSING, {"annotation-rules-TEMPLATE.md": tpl.encode()}, text_doc(
        "# 数据标注规则（模板，待运营方确认） / Annotation rules (template, to be confirmed)\n\n" + tpl.split("-->", 1)[-1]),
        "标注规则或“不适用”说明须由运营方确认；已生成模板", "the annotation rules or a \"not applicable\" statement must be "
        "confirmed by the operator; a template was generated",
        f"填写模板后保存为 {where}", f"complete the template and save it as {where}")


def _mechanism_values(d: Dossier) -> dict[str, object]:
    s = d.settings
    models = "；".join(f"{u.base_model}（{u.base_model_provider}，{u.base_model_filing_number or '备案号未填'}）"
                      for u in s.upstreams if u.base_model)
    steps_zh = "规范化与变体还原 → 关键词库匹配 → 分类模型" + (" → 语义模型" if s.moderation.semantic else "") + " → 处置（拒答、拦截、引导或放行）"
    steps_en = "normalisation and variant folding → keyword library → classifier" + (
        " → semantic model" if s.moderation.semantic else "") + " → action (refuse, block, guide or pass)"
    return {"s": s.service, "population": "、".join(s.service.population), "occasions": "、".join(s.service.occasions),
            "purposes": "、".join(s.service.purposes), "models": models, "steps_zh": steps_zh, "steps_en": steps_en,
            "label": s.labels.text_prefix.strip() or s.labels.text_suffix.strip(), "log_days": s.retention.usage_log_days}


def mechanism(d: Dossier, track: Track) -> Built:
    """Algorithm-mechanism public text (Alg. Rec. Arts 16, 24: the text to publish)."""
    values = _mechanism_values(d)
    zh, en = text("mechanism.zh.txt.j2", **values), text("mechanism.en.txt.j2", **values)
    doc = text_doc(zh)
    doc.sections += text_doc(en).sections
    return Built(PieceStatus.OK, {"mechanism.zh.md": zh.encode(), "mechanism.en.md": en.encode(),
                                  "mechanism.html": page_html(doc).encode()}, doc,
                 "由配置生成；公示前请审阅", "generated from the settings; review before publishing")


def letters(d: Dossier, track: Track) -> Built:
    """Algorithm-security officer appointment and commitment letter (templates to sign)."""
    files: dict[str, bytes] = {}
    docs = []
    for name in ("appointment", "commitment"):
        body = text(f"{name}.txt.j2", s=d.settings.service)
        doc = text_doc(body, ["法定代表人 Legal representative"] + (["算法安全责任人 Officer"] if name == "appointment" else []))
        files[f"{name}.md"] = body.encode()
        files[f"{name}.html"] = page_html(doc).encode()
        docs.append(doc)
    doc = docs[0]
    doc.sections.append({"heading": docs[1].title_zh + " / " + docs[1].title_en, "paras": docs[1].sections[0]["paras"],
                         "table": []})
    return Built(PieceStatus.TO_SIGN, files, doc, "模板：填写姓名，签字盖章", "templates: fill in the names, sign and seal")
