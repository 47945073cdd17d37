"""IM-17 live evidence: the newest security-assessment report (Interim Measures Art 17; GB/T 45654
Annex B). Met only when a report exists under ``assessment.reports_dir``, can be read, conforms,
and finished within ``assessment.max_age_days``; otherwise the reason says which of these fails."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hegui.assessment.report.gate import finished_at, scan_reports
from hegui.obligations.register import Finding, Status
from hegui.obligations.reports import fresh_or_stale, missing_report
from hegui.settings import HeguiSettings


def reports_dir(settings: HeguiSettings) -> Path:
    return Path(settings.assessment.reports_dir or Path(settings.var_dir) / "assessments")


def _rates(r: Mapping[str, Any]) -> tuple[str, str]:
    def p(bank: str, key: str) -> str:
        v = (r.get(bank) or {}).get(key)
        return f"{v:.1%}" if isinstance(v, (int, float)) else "—"
    g, s, n = p("generated", "pass_rate"), p("should_refuse", "refusal_rate"), p("non_refusal", "refusal_rate")
    return (f"生成内容合格率 {g}，应拒答拒答率 {s}，非拒答拒答率 {n}",
            f"generated-content pass rate {g}, should-refuse refusal rate {s}, non-refusal refusal rate {n}")


def assessment_finding(settings: HeguiSettings, now: dt.datetime | None = None) -> Finding:
    folder = reports_dir(settings)
    found, problems = scan_reports(folder)
    if not found:
        return missing_report(folder, problems, "安全评估报告", "security-assessment report", "hegui assess run")
    path, r = max(found, key=lambda pr: finished_at(pr[1]))  # type: ignore[arg-type, return-value]
    when = finished_at(r)
    assert when is not None  # scan_reports keeps only reports with a valid time
    now = now or dt.datetime.now(dt.timezone.utc)
    age = (now - when).days
    rz, re_ = _rates(r)
    what_zh = f"最新报告 {path}（{when.date()}，{r.get('profile', '?')} {r.get('profile_version', '')}，模型 {r.get('model', '?')}）：{rz}"
    what_en = (f"latest report {path} ({when.date()}, {r.get('profile', '?')} {r.get('profile_version', '')}, "
               f"model {r.get('model', '?')}): {re_}")
    limit = settings.assessment.max_age_days
    if r.get("conforms") is not True:
        bad = [c.get("clause", "?") for c in r.get("clauses", []) if isinstance(c, Mapping)
               and c.get("status") == "does_not_conform"]
        return Finding(Status.NOT_MET, f"{what_zh}；结论：不符合（{', '.join(map(str, bad)) or '—'}）",
                       f"{what_en}; verdict: does not conform ({', '.join(map(str, bad)) or '—'})")
    return fresh_or_stale(what_zh, what_en, age, limit, "assessment.max_age_days")
