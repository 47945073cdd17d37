"""The filing's "annotation rules" attachment (Interim Measures Arts 8, 19; docs/annotation.md):
the current approved rules documents, the annotator roster (codes and initials only — PIPL Art 6),
the training and qualification summary, QA results (κ per batch, AQL and 8.3 c decisions, 8.1
coverage), and a bilingual summary (Markdown and HTML)."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from hegui.annotation import annotators, batches, coverage, rules
from hegui.fileio import private_dir, write_atomic
from hegui.governance.common import now

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def collect(s: Session, *, reexam_months: int) -> dict[str, Any]:
    """Everything the export writes, as plain data."""
    docs = []
    for kind in rules.KINDS:
        row = rules.current(s, kind)
        if row is not None:
            docs.append(row)
    roster = []
    for a in annotators.listing(s):
        q = annotators.qualification(s, a, reexam_months)
        roster.append({"code": a.code, "initials": a.initials, "roles": a.roles, "active": a.active,
                       "qualification": q.state, "last_test": q.last_test.isoformat() if q.last_test else "",
                       "score": q.score, "expires": q.expires.isoformat() if q.expires else "",
                       "training_hours": q.training_hours,
                       "trainings": [{"date": t.held_on.isoformat(), "course": t.course, "hours": t.hours}
                                     for t in annotators.trainings(s, a)]})
    qa = []
    for b in batches.listing(s):
        ag, ins = batches.latest_agreement(s, b), batches.latest_inspection(s, b)
        qa.append({"batch": b.name, "kind": b.kind, "items": b.item_count, "safety_items": b.safety_items,
                   "state": b.state, "kappa": ag.kappa if ag else None, "percent_agreement": ag.percent if ag else None,
                   "agreement_items": ag.items if ag else None, "plan": b.plan or None,
                   "defects": ins.defects if ins else None, "aql_decision": ins.aql_decision if ins else None,
                   "safety_failed": ins.safety_failed if ins else None, "discard": ins.discard if ins else None,
                   "roles": [{"code": p.code, "role": a.role} for a, p in batches.assignments(s, b)]})
    cov = coverage.latest(s)
    return {"generated_at": now().isoformat(timespec="seconds"),
            "rules": [{"kind": d.kind, "version": d.version, "effective_on": d.effective_on.isoformat(),
                       "file": d.file_name, "sha256": d.sha256, "approved_by": d.approved_by,
                       "check": d.findings} for d in docs],
            "_docs": docs, "roster": roster, "batches": qa, "coverage": cov.result if cov else None}


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def summary_md(data: dict[str, Any]) -> str:
    out = ["# 数据标注规则与质量核验摘要 / Annotation rules and quality summary", "",
           f"生成时间 generated: {data['generated_at']}", "", "## 标注规则 / Rules documents", ""]
    if not data["rules"]:
        out.append("无已批准的标注规则 / no approved rules document")
    for r in data["rules"]:
        chk = r["check"]
        cover = ("覆盖 31 类风险 / covers all 31 risks" if not chk.get("missing_risks")
                 else "未覆盖 missing: " + ", ".join(chk["missing_risks"]))
        out.append(f"- {r['kind']} v{r['version']}（生效 effective {r['effective_on']}，批准 approved by "
                   f"{r['approved_by']}）sha256 {r['sha256'][:16]}… — {cover if r['kind'] == 'safety' else '—'}")
    out += ["", "## 标注人员 / Annotators", "", "| 编号 code | 缩写 initials | 角色 roles | 考核 qualification | "
            "最近考核 last test | 成绩 score | 培训学时 training hours |", "|---|---|---|---|---|---|---|"]
    for a in data["roster"]:
        out.append(f"| {a['code']} | {a['initials']} | {', '.join(a['roles'])} | {a['qualification']} | "
                   f"{a['last_test'] or '—'} | {_fmt(a['score'])} | {a['training_hours']:g} |")
    out += ["", "## 批次质量 / Batch QA", "", "| 批次 batch | 类型 kind | 条目 items | κ | 一致率 agreement | AQL | "
            "n / Ac / Re | 不合格 defects | 8.3 c | 结论 decision |", "|---|---|---|---|---|---|---|---|---|---|"]
    for b in data["batches"]:
        p = b["plan"] or {}
        out.append(f"| {b['batch']} | {b['kind']} | {b['items']} | {_fmt(b['kappa'])} | {_fmt(b['percent_agreement'])} | "
                   f"{p.get('aql', '—')} | {p.get('sample_size', '—')} / {p.get('ac', '—')} / {p.get('re', '—')} | "
                   f"{_fmt(b['defects'])} | {'discard 废弃' if b['discard'] else ('ok' if b['discard'] is False else '—')} | "
                   f"{b['state']} |")
    cov = data["coverage"]
    out += ["", "## 安全标注覆盖 / Safety-annotation coverage (GB/T 45674 8.1)", ""]
    if cov is None:
        out.append("未导入安全标注 / no safety labels imported")
    else:
        out.append(f"安全标注 {cov['safety_items']} 条，占 {cov['share']:.1%}（≥ 3 %：{'是' if cov['share_ok'] else '否'}）；"
                   f"不足 200 条的风险 {len(cov['short'])} 类 / {cov['safety_items']} safety items, {cov['share']:.1%} "
                   f"of the set (≥ 3 %: {'yes' if cov['share_ok'] else 'no'}); risks under 200: "
                   f"{', '.join(cov['short']) or 'none'}")
    return "\n".join(out) + "\n"


def summary_html(md: str) -> str:
    """A plain, self-contained HTML page of the Markdown summary (tables and headings)."""
    body, table = [], False
    for line in md.splitlines():
        if line.startswith("|"):
            if set(line.replace("|", "").strip()) <= {"-"}:
                continue
            tag = "th" if not table else "td"
            if not table:
                body.append("<table>")
                table = True
            cells = "".join(f"<{tag}>{html.escape(c.strip())}</{tag}>" for c in line.strip("|").split("|"))
            body.append(f"<tr>{cells}</tr>")
            continue
        if table:
            body.append("</table>")
            table = False
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{html.escape(line.lstrip('#').strip())}</h{level}>")
        elif line.strip():
            body.append(f"<p>{html.escape(line.lstrip('- '))}</p>")
    if table:
        body.append("</table>")
    return ("<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\"><title>Annotation QA</title><style>"
            "body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px}"
            "</style></head><body>" + "\n".join(body) + "</body></html>\n")


def _cell(v: Any) -> Any:
    """No spreadsheet formula from attacker-controlled text (CSV injection)."""
    return "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v


def export(s: Session, out: Path, *, reexam_months: int) -> list[Path]:
    """Write the attachment into ``out``; returns the files written (each atomically)."""
    out = private_dir(out)
    data = collect(s, reexam_months=reexam_months)
    docs = data.pop("_docs")
    written: list[Path] = []

    def put(name: str, payload: bytes | str) -> None:
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, payload)
        written.append(path)

    for d in docs:
        put(f"rules/{d.kind}-v{_SAFE_NAME.sub('_', d.version)}-{_SAFE_NAME.sub('_', d.file_name)}", d.content)
    put("rules.json", json.dumps(data["rules"], ensure_ascii=False, indent=2))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["code", "initials", "roles", "active", "qualification", "last_test", "score", "expires",
                "training_hours"])
    for a in data["roster"]:
        w.writerow([_cell(a["code"]), _cell(a["initials"]), "|".join(a["roles"]), a["active"], a["qualification"],
                    a["last_test"], "" if a["score"] is None else a["score"], a["expires"], a["training_hours"]])
    put("roster.csv", buf.getvalue())
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["code", "date", "course", "hours"])
    for a in data["roster"]:
        for t in a["trainings"]:
            w.writerow([_cell(a["code"]), t["date"], _cell(t["course"]), t["hours"]])
    put("training.csv", buf.getvalue())
    put("qa.json", json.dumps({"batches": data["batches"], "coverage": data["coverage"]}, ensure_ascii=False, indent=2))
    md = summary_md(data)
    put("summary.md", md)
    page = summary_html(md)
    put("summary.html", page)
    return written
