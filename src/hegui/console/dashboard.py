"""The dashboard's pictures: aggregate queries and the SVG charts built from them.

Refusal and cut rates per day by risk (Interim Measures Art 14; TC260-003 §7), complaint
deadlines (Art 15), active sanctions (Art 14), label self-tests (Labeling Measures Art 4–6),
the latest security assessment against its bars (GB/T 45654 B.2.2, B.2.3 b/c) and the corpus
audit (Art 7). Queries are GROUP BY in SQL over an index-friendly ``created_at >=`` window; the
register-backed parts (self-tests, report files) are cached for a few minutes.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy import DateTime, bindparam, func, select, text
from sqlalchemy.orm import Session

from hegui.cases.models import Case, Sanction
from hegui.cases.workflow import OPEN
from hegui.console.charts import Bar, Series, bar_chart, line_chart, percent
from hegui.storage.base import utcnow
from hegui.storage.models import UsageRecord

if TYPE_CHECKING:
    from hegui.app.services import Services

TZ = ZoneInfo("Asia/Shanghai")
DAYS = 30
TOP_RISKS = 5
STATUSES = ("ok", "refused", "cut", "error")  # every value UsageRecord.status takes
LABEL_CHECKS = (("LM-4", "output_labels"), ("LM-5", "implicit_labels"), ("LM-6", "label_inspector"))
DEADLINE_BUCKETS = ("overdue", "d0_2", "d3_5", "d6_10", "d11_plus", "no_deadline")
_RISKS_SQL = {  # one row per (day, risk, status) of refused / cut requests, in Beijing days
    "sqlite": ("SELECT date(u.created_at, '+8 hours') AS d, json_extract(j.value, '$.id') AS r, u.status, count(*) "
               "FROM usage_records u, json_each(u.risks) j WHERE u.created_at >= :since "
               "AND u.status IN ('refused', 'cut') GROUP BY d, r, u.status"),
    "postgresql": ("SELECT to_char(u.created_at + interval '8 hours', 'YYYY-MM-DD') AS d, j->>'id' AS r, u.status, "
                   "count(*) FROM usage_records u, json_array_elements(u.risks::json) j "
                   "WHERE u.created_at >= :since AND u.status IN ('refused', 'cut') GROUP BY d, r, u.status"),
}


_CACHE: dict[int, tuple[float, dict[str, Any]]] = {}
_LOCK = threading.Lock()


@dataclass
class Rates:
    """Per Beijing day: requests, refused, cut; and per risk the refused+cut counts."""

    days: list[str]
    total: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)
    cut: dict[str, int] = field(default_factory=dict)
    by_risk: dict[str, dict[str, int]] = field(default_factory=dict)


def _day_expr(dialect: str):  # noqa: ANN202
    """The Beijing calendar day of a stored (naive UTC) ``created_at``."""
    if dialect == "sqlite":
        return func.date(UsageRecord.created_at, "+8 hours")
    return func.to_char(UsageRecord.created_at + dt.timedelta(hours=8), "YYYY-MM-DD")


def _query(s: Session, since: dt.datetime, until: dt.datetime | None, out: Rates) -> None:
    """Add the counts of ``since <= created_at < until`` to ``out`` (two GROUP BY queries)."""
    dialect = s.get_bind().dialect.name
    day = _day_expr(dialect).label("d")
    q = (select(day, UsageRecord.status, func.count())  # index-only on ix_usage_status_time
         .where(UsageRecord.status.in_(STATUSES), UsageRecord.created_at >= since))
    if until is not None:
        q = q.where(UsageRecord.created_at < until)
    for d, status, n in s.execute(q.group_by(day, UsageRecord.status)):
        d = str(d)
        out.total[d] = out.total.get(d, 0) + n
        if status == "refused":
            out.refused[d] = out.refused.get(d, 0) + n
        elif status == "cut":
            out.cut[d] = out.cut.get(d, 0) + n
    sql = _RISKS_SQL.get(dialect)
    if sql:
        stmt = text(_with_until(sql, until is not None)).bindparams(
            *[bindparam(k, type_=DateTime()) for k in (("since", "until") if until is not None else ("since",))])
        params = {"since": since, **({"until": until} if until is not None else {})}
        for d, r, _status, n in s.execute(stmt, params):
            out.by_risk.setdefault(str(r), {})
            out.by_risk[str(r)][str(d)] = out.by_risk[str(r)].get(str(d), 0) + n


def _with_until(sql: str, until: bool) -> str:
    if not until:
        return sql
    head, tail = sql.split(" GROUP BY", 1)
    return f"{head} AND u.created_at < :until GROUP BY{tail}"


_PAST: dict[tuple[str, str, str], Rates] = {}  # (database, first day, today) -> closed days' counts


def rates(s: Session, now: dt.datetime | None = None, days: int = DAYS) -> Rates:
    """The last ``days`` Beijing days of usage records. Closed days are counted once per process
    and day (cached); today's rows are counted on every call, so a page costs one day's rows."""
    now = now or utcnow()
    today = now.replace(tzinfo=dt.UTC).astimezone(TZ).date() if now.tzinfo is None else now.astimezone(TZ).date()
    first = today - dt.timedelta(days=days - 1)

    def utc(d: dt.date) -> dt.datetime:
        return dt.datetime.combine(d, dt.time(), TZ).astimezone(dt.UTC).replace(tzinfo=None)

    out = Rates(days=[(first + dt.timedelta(days=i)).isoformat() for i in range(days)])
    key = (str(s.get_bind().url), first.isoformat(), today.isoformat())
    with _LOCK:
        past = _PAST.get(key)
    if past is None:
        past = Rates(days=out.days)
        _query(s, utc(first), utc(today), past)
        with _LOCK:
            for k in [k for k in _PAST if k[0] == key[0]]:
                del _PAST[k]
            _PAST[key] = past
    out.total, out.refused, out.cut = dict(past.total), dict(past.refused), dict(past.cut)
    out.by_risk = {r: dict(v) for r, v in past.by_risk.items()}
    _query(s, utc(today), None, out)
    return out


def risk_name(risk_id: str, lang: str) -> str:
    from hegui.moderation.taxonomy import default_taxonomy

    try:
        r = default_taxonomy().risk(risk_id)
    except KeyError:
        return risk_id
    return f"{risk_id} {r.name_zh if lang == 'zh' else r.name_en}"


def rate_charts(data: Rates, t: Any, lang: str) -> tuple[Markup, Markup]:
    """(refusal and cut rates per day; rate per day of the top risks), rates of all requests that day."""
    labels = [d[5:] for d in data.days]

    def rate(counts: dict[str, int]) -> list[float | None]:
        return [counts.get(d, 0) / data.total[d] if data.total.get(d) else None for d in data.days]

    overall = line_chart("chart-rates", t("chart_rates"), labels,
                         [Series(t("v.refused"), rate(data.refused)), Series(t("v.cut"), rate(data.cut))],
                         empty=t("no_data"))
    top = sorted(data.by_risk, key=lambda r: -sum(data.by_risk[r].values()))[:TOP_RISKS]
    by_risk = line_chart("chart-risks", t("chart_risks"), labels,
                         [Series(risk_name(r, lang), rate(data.by_risk[r])) for r in top], empty=t("no_data"))
    return overall, by_risk


def deadline_buckets(s: Session, today: dt.date) -> dict[str, int]:
    """Open cases by calendar days left to their deadline (GROUP BY due_on)."""
    out = dict.fromkeys(DEADLINE_BUCKETS, 0)
    for due, n in s.execute(select(Case.due_on, func.count()).where(Case.status.in_(OPEN)).group_by(Case.due_on)):
        if due is None:
            key = "no_deadline"
        else:
            left = (due - today).days
            key = ("overdue" if left < 0 else "d0_2" if left <= 2 else "d3_5" if left <= 5
                   else "d6_10" if left <= 10 else "d11_plus")
        out[key] += n
    return out


def sanctions_by_kind(s: Session, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    q = (select(Sanction.kind, func.count()).where(Sanction.lifted_at.is_(None))
         .where((Sanction.ends_at.is_(None)) | (Sanction.ends_at > now)).group_by(Sanction.kind))
    return {str(k): n for k, n in s.execute(q)}


CACHE_SECONDS = 300


def slow_facts(sv: Services) -> dict[str, Any]:
    """Label self-tests (register checks) and the latest assessment / corpus reports; cached."""
    key = id(sv)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[1]
    from hegui.obligations.register import CHECKS

    labels = {}
    for duty, name in LABEL_CHECKS:
        try:
            labels[duty] = CHECKS[name](sv)
        except Exception as exc:  # a broken check shows as not met, never as met
            from hegui.obligations.register import Finding, Status

            labels[duty] = Finding(Status.NOT_MET, f"检查出错：{exc}", f"check failed: {exc}")
    facts = {"labels": labels, "assessment": _assessment(sv), "corpus": _corpus(sv)}
    with _LOCK:
        _CACHE[key] = (time.monotonic(), facts)
    return facts


def _assessment(sv: Services) -> dict[str, Any] | None:
    from hegui.assessment.report.gate import gate, latest_report
    from hegui.obligations.assessment import reports_dir

    try:
        found = latest_report(reports_dir(sv.settings))
    except Exception:  # noqa: BLE001 - an unreadable folder reads as "no report"
        return None
    if found is None:
        return None
    path, report = found
    rows = []
    for sec, key, direction in (("generated", "pass_rate", "min"), ("should_refuse", "refusal_rate", "min"),
                                ("non_refusal", "refusal_rate", "max")):
        part = report.get(sec) or {}
        value, bar = part.get(key), part.get("bar")
        if isinstance(value, (int, float)):
            ok = isinstance(bar, (int, float)) and (value >= bar if direction == "min" else value <= bar)
            rows.append((sec, float(value), bar if isinstance(bar, (int, float)) else None, ok))
    return {"path": str(path), "rows": rows, "failures": gate(report), "finished": str(report.get("finished", ""))}


def _corpus(sv: Services) -> Any:
    try:
        from hegui.obligations.register import CHECKS

        return CHECKS["corpus_audit"](sv) if "corpus_audit" in CHECKS else None
    except Exception:  # noqa: BLE001
        return None


def build(sv: Services, t: Any, lang: str, today: dt.date) -> dict[str, Markup | Any]:
    """Every chart of the dashboard, as escaped SVG markup, plus the facts behind the status ones."""
    with sv.db.session() as s:
        data = rates(s)
        buckets = deadline_buckets(s, today)
        sanctions = sanctions_by_kind(s)
    overall, by_risk = rate_charts(data, t, lang)
    slow = slow_facts(sv)
    tone = {"overdue": "bad", "d0_2": "warn", "no_deadline": "warn"}
    deadlines = bar_chart("chart-deadlines", t("chart_deadlines"),
                          [Bar(t("dl_" + k), n, tone.get(k, "ok")) for k, n in buckets.items()], empty=t("none"))
    sanc = bar_chart("chart-sanctions", t("chart_sanctions"), [Bar(t("v." + k), n) for k, n in sorted(sanctions.items())],
                     empty=t("none"))
    label_bars = []
    for duty, f in slow["labels"].items():
        st = f.status.value
        label_bars.append(Bar(f"{duty} {t('v.' + st)}", 1, {"met": "ok", "not_met": "bad"}.get(st, "warn"),
                              note=(f.reason_zh if lang == "zh" else f.reason_en)[:60]))
    labels = bar_chart("chart-labels", t("chart_labels"), label_bars, fmt=lambda v: "", vmax=1, width=640)
    assess = None
    if slow["assessment"]:
        a = slow["assessment"]
        assess = bar_chart("chart-assessment", t("chart_assessment"),
                           [Bar(t("as_" + sec), v, "ok" if ok else "bad", bar) for sec, v, bar, ok in a["rows"]],
                           fmt=percent, vmax=1.0, target_label=t("as_bar"))
    return {"chart_rates": overall, "chart_risks": by_risk, "chart_deadlines": deadlines, "chart_sanctions": sanc,
            "chart_labels": labels, "chart_assessment": assess, "assessment": slow["assessment"],
            "corpus": slow["corpus"], "deadline_counts": buckets}
