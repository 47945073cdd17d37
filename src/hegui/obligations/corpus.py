"""IM-7 live evidence: the newest training-corpus audit report (Interim Measures Art 7; GB/T 45654
§5.1 a 2, Annex B.2.1). Met only when a report exists under ``corpus.reports_dir``, can be read,
conforms (every source in the training corpus usable and licensed, both samples at size and bar)
and was generated within ``corpus.max_age_days``; otherwise the reason says which of these fails."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hegui.obligations.register import Finding, Status
from hegui.obligations.reports import fresh_or_stale, missing_report
from hegui.settings import HeguiSettings


def corpus_reports_dir(settings: HeguiSettings) -> Path:
    return Path(settings.corpus.reports_dir or Path(settings.var_dir) / "corpus-audits")


def _rate(sec: Any) -> str:
    v = sec.get("pass_rate") if isinstance(sec, Mapping) else None
    return f"{v:.1%}" if isinstance(v, (int, float)) else "—"


def corpus_report_finding(settings: HeguiSettings, now: dt.datetime | None = None) -> Finding:
    """The IM-7 finding from the newest corpus report under ``corpus.reports_dir``."""
    from hegui.corpus.report.latest import report_time, scan_corpus_reports

    folder = corpus_reports_dir(settings)
    found, problems = scan_corpus_reports(folder)
    if not found:
        return missing_report(folder, problems, "训练语料审计报告", "training-corpus audit report",
                              "hegui corpus audit --out DIR")
    path, r = max(found, key=lambda pr: (report_time(pr[1]), str(pr[0])))  # type: ignore[arg-type, return-value]
    when = report_time(r)
    assert when is not None  # scan_corpus_reports keeps only reports with a valid time
    now = now or dt.datetime.now(dt.timezone.utc)
    age = (now - when).days
    srcs = [s for s in r.get("sources", []) if isinstance(s, Mapping)]
    tech, manual = r.get("technical_sample"), r.get("manual_sample")
    what_zh = (f"最新报告 {path}（{when.date()}，{r.get('profile', '?')}，{len(srcs)} 个来源）：技术抽检合格率 {_rate(tech)}，"
               f"人工抽检合格率 {_rate(manual)}")
    what_en = (f"latest report {path} ({when.date()}, {r.get('profile', '?')}, {len(srcs)} sources): technical-sample "
               f"pass rate {_rate(tech)}, manual-sample pass rate {_rate(manual)}")
    if r.get("conforms") is not True:
        probs = [p for p in r.get("problems", []) if isinstance(p, Mapping)]
        if not probs:
            bad = [str(s.get("id")) for s in srcs if s.get("kept") and not s.get("usable")]
            probs = [{"zh": f"不可用来源：{', '.join(bad) or '—'}", "en": f"unusable sources: {', '.join(bad) or '—'}"}]
        return Finding(Status.NOT_MET, f"{what_zh}；结论：不符合（{'；'.join(str(p.get('zh', '')) for p in probs)}）",
                       f"{what_en}; verdict: does not conform ({'; '.join(str(p.get('en', '')) for p in probs)})")
    return fresh_or_stale(what_zh, what_en, age, settings.corpus.max_age_days, "corpus.max_age_days")
