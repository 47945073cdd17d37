"""Regulator report: cases, takedowns and sanctions for a period, as CSV and as a PDF in Chinese
(Interim Measures Art 14: report to the authorities; DS Art 10; PIPL Art 56: keep records).

The PDF is rendered by WeasyPrint from HTML; it embeds (subsets of) the installed Noto CJK fonts
(Debian ``fonts-noto-cjk``), so the file displays on machines without CJK fonts.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from importlib import resources

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.cases.config import CasesConfig
from hegui.cases.models import Case, Sanction, Takedown
from hegui.cases.sanctions import KIND_ZH
from hegui.cases.workflow import STATUS_ZH
from hegui.errors import ValidationFailed
from hegui.identity.crypto import KeyRing
from hegui.records import audit
from hegui.settings import HeguiSettings

_env = Environment(loader=FileSystemLoader(str(resources.files("hegui") / "cases" / "templates")),
                   autoescape=select_autoescape(["html"]))


@dataclass
class Report:
    start: dt.date
    end: dt.date
    cases: list[dict]
    takedowns: list[dict]
    sanctions: list[dict]


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    if end < start:
        raise ValidationFailed(message_en="the period ends before it starts", message_zh="报告期间的结束日期早于开始日期")
    tz = dt.timezone(dt.timedelta(hours=8))
    return (dt.datetime.combine(start, dt.time(), tz), dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz))


def collect(s: Session, cfg: CasesConfig, keys: KeyRing, start: dt.date, end: dt.date) -> Report:
    lo, hi = _bounds(start, end)
    cases = [{"编号 tracking": c.tracking, "类型 type": cfg.type_label(c.type, "zh"), "渠道 channel": c.channel,
              "受理日期 received": c.received_on.isoformat(), "期限 due": c.due_on.isoformat() if c.due_on else "",
              "期限依据 deadline basis": _basis(c),
              "状态 status": STATUS_ZH.get(c.status, c.status), "处理结果 resolution": c.resolution or "",
              "办结时间 closed": c.closed_at.isoformat(timespec="minutes") if c.closed_at else ""}
             for c in s.scalars(select(Case).where(Case.created_at >= lo, Case.created_at < hi).order_by(Case.created_at))]
    tds = [{"内容标识 content_id": t.content_id, "理由 reason": t.reason, "操作人 actor": t.actor,
            "时间 at": t.at.isoformat(timespec="minutes"), "辟谣 refutation": "是" if t.refutation_zh else "否"}
           for t in s.scalars(select(Takedown).where(Takedown.at >= lo, Takedown.at < hi).order_by(Takedown.at))]
    sans = [{"用户 user (keyed hash)": keys.pseudonym(x.user_id, "audit")[:16], "处置 kind": KIND_ZH.get(x.kind, x.kind),
             "理由 reason": x.reason, "开始 starts": x.starts_at.isoformat(timespec="minutes"),
             "结束 ends": x.ends_at.isoformat(timespec="minutes") if x.ends_at else "",
             "操作人 actor": x.actor}
            for x in s.scalars(select(Sanction).where(Sanction.starts_at >= lo, Sanction.starts_at < hi)
                               .order_by(Sanction.starts_at))]
    return Report(start, end, cases, tds, sans)


def _basis(c: Case) -> str:
    if c.due_provisional:
        years = "、".join(map(str, c.provisional_years))
        return f"暂定：{years} 年节假日安排未导入，仅按周末计算 provisional (weekends only for {years})"
    return "正式 official" if c.due_on else "无 none"


def to_csv(rep: Report) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    for title, rows in (("cases 投诉举报", rep.cases), ("takedowns 下架", rep.takedowns), ("sanctions 用户处置", rep.sanctions)):
        w.writerow([f"# {title}", f"{rep.start} – {rep.end}", f"{len(rows)}"])
        if rows:
            w.writerow(rows[0].keys())
            w.writerows(r.values() for r in rows)
        w.writerow([])
    return ("\ufeff" + buf.getvalue()).encode()


def to_pdf(rep: Report, settings: HeguiSettings) -> bytes:
    from weasyprint import HTML

    html = _env.get_template("report.html").render(rep=rep, svc=settings.service,
                                                   generated=dt.datetime.now(dt.timezone(dt.timedelta(hours=8))))
    return HTML(string=html).write_pdf()


def audit_export(s: Session, actor: str, rep: Report, fmt: str) -> None:
    audit.append(s, actor, "report.exported", f"report:{rep.start}..{rep.end}",
                 {"format": fmt, "cases": len(rep.cases), "takedowns": len(rep.takedowns),
                  "sanctions": len(rep.sanctions)})
