"""Pieces built from evidence hegui keeps: the security self-assessment run, the keyword library,
the test banks, the corpus audit report and the base-model filings (security-requirements §9; Interim
Measures Arts 7, 17; GB/T 45654 Annex B)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from hegui.filing.model import Built, Doc, Dossier, PieceStatus, Track

REPORT_FILES = ("report.json", "report.pdf", "report.html", "report.en.pdf", "report.en.html")
FIX_ASSESS = ("运行 hegui assess run --out <assessment.reports_dir 下的目录>，直至结论为符合",
              "run hegui assess run --out <a folder under assessment.reports_dir> until it conforms")


def latest_run(d: Dossier) -> tuple[Path, dict[str, Any]] | None:
    from hegui.assessment.report.gate import latest_report
    from hegui.obligations.assessment import reports_dir

    if "run" not in d.cache:
        d.cache["run"] = latest_report(reports_dir(d.settings))
    return d.cache["run"]


def assessment(d: Dossier, track: Track) -> Built:
    """Item 1: the clause-by-clause self-assessment with its run (Interim Measures Art 17)."""
    from hegui.assessment.report.gate import finished_at
    from hegui.obligations.assessment import reports_dir

    run = latest_run(d)
    if run is None:
        return Built(PieceStatus.MISSING, reason_zh=f"{reports_dir(d.settings)} 下没有安全评估报告",
                     reason_en=f"no security-assessment report under {reports_dir(d.settings)}",
                     fix_zh=FIX_ASSESS[0], fix_en=FIX_ASSESS[1])
    path, r = run
    files = {name: (path.parent / name).read_bytes() for name in REPORT_FILES if (path.parent / name).is_file()}
    clauses = [c for c in r.get("clauses", []) if isinstance(c, dict)]
    doc = Doc("安全自评估报告（摘要）", "Security self-assessment report (summary)")
    doc.section("运行 Run", table=[["项 Item", "值 Value"], ["model", str(r.get("model", ""))],
                                   ["profile", f"{r.get('profile', '')} {r.get('profile_version', '')}"],
                                   ["finished", str(r.get("finished", ""))], ["conforms", str(r.get("conforms"))],
                                   ["folder", str(path.parent)]])
    doc.section("逐条结论 Clause by clause", table=[["条款 Clause", "要求 Requirement", "结论 Status", "依据 Evidence"]] + [
        [str(c.get("clause", "")), f"{c.get('title_zh', '')} / {c.get('title_en', '')}", str(c.get("status", "")),
         str(c.get("evidence_zh", ""))] for c in clauses])
    attach = ["report.pdf"] if "report.pdf" in files else []
    age = (d.now - finished_at(r)).days if finished_at(r) else None  # type: ignore[operator]
    problems_zh, problems_en = [], []
    if r.get("conforms") is not True:
        bad = [str(c.get("clause")) for c in clauses if c.get("status") == "does_not_conform"]
        problems_zh.append(f"结论为不符合（{', '.join(bad) or '—'}）")
        problems_en.append(f"the verdict is does-not-conform ({', '.join(bad) or '—'})")
    return _report_built(path, files, doc, attach, (problems_zh, problems_en), age, d.settings.assessment.max_age_days,
                         FIX_ASSESS, ("最新报告", "latest report"))


def keyword_rows(d: Dossier) -> tuple[list[tuple[str, str, str, str]], Any, list[str]]:
    """(keyword, level-1 zh, level-2 zh, pack) rows from the shipped and operator packs, the
    coverage report, and the pack labels (GB/T 45654 B.1.1)."""
    from hegui.moderation.coverage import coverage
    from hegui.moderation.engine import _resolve_dirs
    from hegui.moderation.normalize import fold_term
    from hegui.moderation.packs.loader import load_packs
    from hegui.moderation.taxonomy import default_taxonomy

    tax = default_taxonomy()
    cats = {c.id: c.name_zh for c in tax.categories}
    packs = load_packs(_resolve_dirs(d.settings.moderation.pack_dirs, True), replace=True)
    seen: set[tuple[str, str]] = set()
    rows = []
    for p in packs:
        for t in p.terms:
            key = (fold_term(t.text.rstrip("*")) or t.text, t.risk)
            if key in seen or t.risk not in tax:
                continue
            seen.add(key)
            risk = tax.risk(t.risk)
            rows.append((t.text, cats.get(risk.category, risk.category), risk.name_zh, p.label))
    rep = coverage((t for p in packs for t in p.terms), profile=d.settings.moderation.threshold_profile)
    return rows, rep, [p.label for p in packs]


KEYWORD_HEADER = ("关键词 Keyword", "一级分类 Level-1", "二级分类 Level-2", "策略包 Pack")


def keywords(d: Dossier, track: Track) -> Built:
    """Item 4: the keyword block list as an editable XLSX with its coverage sheet (B.1.1 a–b)."""
    from openpyxl import Workbook

    from hegui.assessment.report.filing_xlsx import safe_cell
    from hegui.errors import HeguiError

    try:
        rows, rep, labels = keyword_rows(d)
    except HeguiError as exc:
        return Built(PieceStatus.MISSING, reason_zh=exc.message("zh"), reason_en=exc.message("en"),
                     fix_zh="修正 moderation.pack_dirs 中的策略包", fix_en="fix the packs in moderation.pack_dirs")
    wb = Workbook()
    ws = wb.active
    ws.title = "关键词库"
    ws.append(KEYWORD_HEADER)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    cov = wb.create_sheet("覆盖率")
    cov.append(("风险 Risk", "名称 Name", "类别 Class", "词数 Terms", "最低 Minimum", "缺口 Gap"))
    for r in rep.risks:
        cov.append((r.risk_id, safe_cell(f"{r.name_zh} / {r.name_en}"), r.risk_class, r.terms, r.minimum, r.gap))
    cov.append(("total", rep.clause, rep.profile, rep.total, rep.total_minimum, rep.total_gap))
    buf = io.BytesIO()
    wb.save(buf)
    summary = {"terms": len(rows), "packs": labels, **rep.to_dict()}
    doc = Doc("关键词库（摘要）", "Keyword library (summary)")
    doc.section("", [f"词条 {len(rows)} 个，策略包：{', '.join(labels)} / {len(rows)} terms from {', '.join(labels)}",
                     f"覆盖率依据 {rep.clause}（{rep.profile}）：总数 {rep.total} / {rep.total_minimum}"])
    doc.section("缺口 Gaps", table=[["风险 Risk", "词数 Terms", "最低 Min", "缺口 Gap"]] + [
        [f"{g.risk_id} {g.name_zh}", g.terms, g.minimum, g.gap] for g in rep.gaps])
    files = {"keywords.xlsx": buf.getvalue(),
             "coverage.json": (json.dumps(summary, ensure_ascii=False, indent=1) + "\n").encode()}
    if not rows:
        return Built(PieceStatus.MISSING, files, doc, "策略包中没有关键词", "the packs hold no keywords",
                     "在 moderation.pack_dirs 中加入运营方词库", "add the operator's packs to moderation.pack_dirs")
    if not rep.meets:
        return Built(PieceStatus.FLAGGED, files, doc,
                     f"未达最低要求：{len(rep.gaps)} 项风险不足，总数缺 {rep.total_gap}",
                     f"below the minimums: {len(rep.gaps)} risks short, total short by {rep.total_gap}",
                     "补充运营方词库（hegui lexicon report 列出缺口）", "extend the operator packs (hegui lexicon report lists the gaps)")
    return Built(PieceStatus.OK, files, doc, f"{len(rows)} 个词条，满足最低要求", f"{len(rows)} terms, minimums met")


def banks(d: Dossier, track: Track) -> Built:
    """Item 5: the test questions with model answers and verdicts, from the latest run (B.1.2–B.1.3)."""
    run = latest_run(d)
    xlsx = run[0].parent / "bank-export.xlsx" if run else None
    if xlsx is None or not xlsx.is_file():
        where = f"{run[0].parent} 中没有 bank-export.xlsx" if run else "没有安全评估运行"
        where_en = f"no bank-export.xlsx in {run[0].parent}" if run else "no assessment run"
        return Built(PieceStatus.MISSING, reason_zh=where, reason_en=where_en, fix_zh=FIX_ASSESS[0], fix_en=FIX_ASSESS[1])
    r = run[1]  # type: ignore[index]
    doc = Doc("测试题库（摘要）", "Test banks (summary)").section("", [f"bank-export.xlsx from {xlsx.parent}"], table=[
        ["题库 Bank", "题数 n"]] + [[b, str((r.get(b) or {}).get("n", ""))] for b in ("generated", "should_refuse", "non_refusal")])
    return Built(PieceStatus.OK, {"test-banks.xlsx": xlsx.read_bytes()}, doc, f"来自 {xlsx}", f"from {xlsx}")


FIX_CORPUS = ("运行 hegui corpus audit --out <corpus.reports_dir 下的目录>，完成人工抽检（hegui corpus review import），直至结论为符合",
              "run hegui corpus audit --out <a folder under corpus.reports_dir>, review the manual sample "
              "(hegui corpus review import) until it conforms")


def corpus_audit(d: Dossier, track: Track) -> Built:
    """Item 7 evidence: the newest training-corpus audit report (Interim Measures Art 7; GB/T 45654
    §5.1 a 2, B.2.1): report.json with its pages; flagged when it does not conform or is stale."""
    from hegui.corpus.report.latest import latest_corpus_report, report_time
    from hegui.obligations.corpus import corpus_reports_dir

    folder = corpus_reports_dir(d.settings)
    found = latest_corpus_report(folder)
    if found is None:
        return Built(PieceStatus.MISSING, reason_zh=f"{folder} 下没有训练语料审计报告",
                     reason_en=f"no training-corpus audit report under {folder}", fix_zh=FIX_CORPUS[0], fix_en=FIX_CORPUS[1])
    path, r = found
    files = {name: (path.parent / name).read_bytes() for name in REPORT_FILES if (path.parent / name).is_file()}
    srcs = [s for s in r.get("sources", []) if isinstance(s, dict)]
    doc = Doc("语料安全评估报告（摘要）", "Corpus audit report (summary)")
    doc.section("审计 Audit", table=[["项 Item", "值 Value"], ["profile", f"{r.get('profile', '')} {r.get('profile_version', '')}"],
                                     ["generated", str(r.get("generated_at", ""))], ["conforms", str(r.get("conforms"))],
                                     ["folder", str(path.parent)]])
    doc.section("来源 Sources", table=[["来源 Source", "记录 Records", "占比 Share", "可用 Usable", "许可 Licence"]] + [
        [str(s.get("id", "")), str(s.get("records", "")), str(s.get("harmful_share")), str(s.get("usable")),
         str(s.get("licence", ""))] for s in srcs])
    attach = ["report.pdf"] if "report.pdf" in files else []
    when = report_time(r)
    age = (d.now - when).days if when else None
    problems_zh, problems_en = [], []
    if r.get("conforms") is not True:
        probs = [p for p in r.get("problems", []) if isinstance(p, dict)]
        problems_zh.append("结论为不符合（" + ("；".join(str(p.get("zh", "")) for p in probs) or "—") + "）")
        problems_en.append("the verdict is does-not-conform (" + ("; ".join(str(p.get("en", "")) for p in probs) or "—") + ")")
    return _report_built(path, files, doc, attach, (problems_zh, problems_en), age, d.settings.corpus.max_age_days,
                         FIX_CORPUS, ("最新语料审计报告", "latest corpus audit report"))


def base_models(d: Dossier, track: Track) -> Built:
    """Item 7 evidence: which filed model each upstream serves (Interim Measures Art 7(1))."""
    ups = d.settings.upstreams
    rows = [{"upstream": u.name, "base_url_host": u.base_url.split("//")[-1].split("/")[0].rsplit("@", 1)[-1],
             "models": list(u.models), "base_model": u.base_model, "base_model_provider": u.base_model_provider,
             "base_model_filing_number": u.base_model_filing_number, "region": u.region, "third_party": u.third_party}
            for u in ups]
    doc = Doc("基础模型备案证明", "Base-model filing evidence").section("", table=[
        ["上游 Upstream", "基础模型 Base model", "备案主体 Filer", "备案号 Filing no."]] + [
        [r["upstream"], r["base_model"] or "—", r["base_model_provider"] or "—", r["base_model_filing_number"] or "—"]
        for r in rows])
    files = {"base-models.json": (json.dumps(rows, ensure_ascii=False, indent=1) + "\n").encode()} if rows else {}
    if not ups:
        return Built(PieceStatus.MISSING, files, doc, "仅启用演示模型（demo，不可用于备案），未配置上游",
                     "only the demo model is served (demo, not for filing): no upstream configured",
                     "在 [[upstreams]] 中配置上游及其 base_model、base_model_provider、base_model_filing_number",
                     "configure [[upstreams]] with base_model, base_model_provider and base_model_filing_number")
    lacking = [u.name for u in ups if not (u.base_model and u.base_model_provider and u.base_model_filing_number)]
    if lacking:
        return Built(PieceStatus.MISSING, files, doc, f"上游 {', '.join(lacking)} 未声明基础模型、备案主体或备案号",
                     f"upstream(s) {', '.join(lacking)} declare no base model, filer or filing number",
                     "为这些上游填写 base_model、base_model_provider、base_model_filing_number，并附调用合同",
                     "set base_model, base_model_provider and base_model_filing_number for them; attach the contract")
    return Built(PieceStatus.OK, files, doc, f"{len(ups)} 个上游均已声明", f"all {len(ups)} upstream(s) declared")


def _report_built(path: Any, files: Any, doc: Any, attach: Any, problems: tuple[list[str], list[str]],
                  age: int | None, max_age: int, fix: tuple[str, str], latest: tuple[str, str]) -> Built:
    """A report-backed piece: flagged on any problem, on age past ``max_age`` or without its PDF."""
    problems_zh, problems_en = problems
    if age is not None and age > max_age:
        problems_zh.append(f"报告已 {age} 天，超过 {max_age} 天")
        problems_en.append(f"the report is {age} days old, more than {max_age}")
    if "report.pdf" not in files:
        problems_zh.append("报告目录中没有 report.pdf")
        problems_en.append("no report.pdf in the report folder")
    if problems_zh:
        return Built(PieceStatus.FLAGGED, files, doc, f"{path}：" + "；".join(problems_zh),
                     f"{path}: " + "; ".join(problems_en), fix[0], fix[1], attach)
    return Built(PieceStatus.OK, files, doc, f"{latest[0]} {path}（符合）", f"{latest[1]} {path} (conforms)",
                 attach_pdf=attach)
