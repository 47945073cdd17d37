"""The manual-sample worksheet (GB/T 45654 B.2.1 a "人工抽检"): one row per sampled record with its
source, text (cut, personal information masked — PIPL Art 6 minimum necessary) and the automatic
finding; a ``verdict`` dropdown 合格/不合格 (pass/fail), reviewer and note are the only editable
columns. Built on :mod:`hegui.reviewsheet` (protected, formula-safe, atomic, 0600).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from hegui.corpus.report.errors import CorpusReportError
from hegui.reviewsheet import SheetLayout, SheetProblem, read_sheet, write_sheet

SHEET = "manual-sample"
TEXT_CHARS = 2000
HEADERS = {"zh": ["编号", "来源", "文本（已截断、个人信息已遮盖）", "自动判定", "人工结论", "审核人", "备注"],
           "en": ["id", "source", "text (cut, personal information masked)", "automatic finding", "verdict",
                  "reviewer", "note"]}
CHOICES = {"zh": ["合格", "不合格"], "en": ["pass", "fail"]}
_VERDICTS = {"合格": True, "不合格": False, "pass": True, "fail": False}
LAYOUT = SheetLayout(SHEET, HEADERS, verdict_col=5, editable=(5, 6, 7), widths=(28, 14, 80, 26, 10, 12, 30))
_AUTO = {"zh": {"clean": "未发现风险", "harmful": "发现风险", "harmful_a5": "发现风险（A.5）", "unjudged": "未判定",
                "not_assessed": "未评估"},
         "en": {"clean": "nothing found", "harmful": "risk found", "harmful_a5": "risk found (A.5)",
                "unjudged": "not judged", "not_assessed": "not assessed"}}


def _text(rec: Mapping[str, Any], lang: str) -> str:
    text = rec.get("text")
    if not isinstance(text, str):
        return "（文本不可用：请在语料中按编号查阅）" if lang == "zh" else "(text not available: look the id up in the corpus)"
    if rec.get("redacted"):
        return text[:TEXT_CHARS] + ("…" if len(text) > TEXT_CHARS else "")
    from hegui.assessment.report.redact import redact

    return redact(text, TEXT_CHARS)


def _auto(rec: Mapping[str, Any], lang: str) -> str:
    status = str(rec.get("status") or "unjudged")
    risks = ", ".join(str(r) for r in rec.get("risks") or [])
    return _AUTO[lang].get(status, status) + (f" ({risks})" if risks else "")


def export_manual_sample(path: Path, records: Sequence[Mapping[str, Any]], *, lang: str = "zh") -> Path:
    """Write the worksheet for ``records`` (``{"id", "source", "text", "redacted", "status", "risks"}``)."""
    lang = "zh" if lang == "zh" else "en"
    rows = [[str(r.get("id", "")), str(r.get("source", "")), _text(r, lang), _auto(r, lang), "", "", ""]
            for r in records]
    return write_sheet(Path(path), LAYOUT, rows, lang=lang, choices=CHOICES[lang], mode=0o600,
                       error="请选择 合格 或 不合格" if lang == "zh" else "Choose pass or fail")


def _err(path: Path, row: int, detail: str) -> CorpusReportError:
    return CorpusReportError(location=f"{path.name} {SHEET}!{row}", detail=detail)


def import_manual_sample(path: Path, *, known_ids: Collection[str] | None = None) -> dict[str, bool]:
    """``{id: passed}`` for every reviewed row (a blank verdict = not reviewed, skipped). An id must
    be one the worksheet exported and, when given, in ``known_ids`` (this report's sample)."""
    path = Path(path)
    try:
        rows, exported = read_sheet(path, LAYOUT)
    except SheetProblem as exc:
        raise CorpusReportError(location=exc.location, detail=exc.detail) from exc
    out: dict[str, bool] = {}
    for n, cells in rows:
        rid, verdict = cells[0], cells[4]
        if not verdict:
            continue
        if (exported is not None and rid not in exported) or (known_ids is not None and rid not in known_ids):
            raise _err(path, n, f"unknown id, not in this sample / 编号不在本次抽样中: {rid[:80]!r}")
        if rid in out:
            raise _err(path, n, f"duplicate id / 编号重复: {rid[:80]!r}")
        passed = _VERDICTS.get(verdict, _VERDICTS.get(verdict.lower()))
        if passed is None:
            raise _err(path, n, f"unknown verdict / 未知结论 {verdict[:40]!r} (合格/不合格 or pass/fail)")
        out[rid] = passed
    return out
