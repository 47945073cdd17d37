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
        if problems:
            path, why = problems[0]
            return Finding(Status.NOT_MET, f"语料审计报告无法读取：{path}（{why}）", f"corpus audit report unreadable: {path} ({why})")
        return Finding(Status.NOT_MET, f"{folder} 下没有训练语料审计报告：请运行 hegui corpus audit --out <该目录下的子目录>",
                       f"no training-corpus audit report under {folder}: run hegui corpus audit --out <a folder there>")
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
    limit = settings.corpus.max_age_days
    if age > limit:
        return Finding(Status.NOT_MET, f"{what_zh}；已过期：{age} 天前生成，超过 {limit} 天（corpus.max_age_days），请重新审计",
                       f"{what_en}; stale: generated {age} days ago, more than {limit} (corpus.max_age_days): re-audit")
    return Finding(Status.MET, f"{what_zh}；结论：符合（{age} 天前，≤ {limit} 天）",
                   f"{what_en}; verdict: conforms ({age} days ago, ≤ {limit})")

