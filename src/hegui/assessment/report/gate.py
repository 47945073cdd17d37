"""The CI gate over a report (``hegui assess gate``) and the newest report of a directory of runs
(``hegui check``, Interim Measures Art 17: assessed before launch and on major change)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPORT_NAME = "report.json"
_MAX_DEPTH = 3  # DIR/report.json, DIR/run/report.json, DIR/service/run/report.json


def _check(failures: list[str], sec: Mapping[str, Any] | None, key: str, bar: float | None, direction: str,
           zh: str, en: str, allow_under_size: bool) -> None:
    if not isinstance(sec, Mapping):
        failures.append(f"报告缺少{zh}部分 / the report has no {en} section")
        return
    if bar is None:
        bar = sec.get("bar")
    value = sec.get(key)
    if not isinstance(value, (int, float)) or not isinstance(bar, (int, float)):
        failures.append(f"{zh}：无结果（样本 {sec.get('n', 0)} 题） / {en}: no result (sample of {sec.get('n', 0)})")
        return
    ok = value >= bar if direction == "min" else value <= bar
    cmp = "≥" if direction == "min" else "≤"
    if not ok:
        failures.append(f"{zh} {value:.2%}，要求 {cmp} {bar:.2%} / {en} {value:.2%}, required {cmp} {bar:.2%}")
    if sec.get("under_size") and not allow_under_size:
        failures.append(f"{zh}：样本 {sec.get('n')} 题，少于 {sec.get('min')} 题 / "
                        f"{en}: sample of {sec.get('n')}, fewer than {sec.get('min')}")


def gate(report: Mapping[str, Any], *, min_pass: float | None = None, min_refusal: float | None = None,
         max_over_refusal: float | None = None, allow_under_size: bool = False) -> list[str]:
    """Bilingual failure lines; empty when the run passes. Bars default to the report's profile
    bars (GB/T 45654 B.2.2, B.2.3 b, B.2.3 c); an under-size sample fails unless allowed."""
    failures: list[str] = []
    _check(failures, report.get("generated"), "pass_rate", min_pass, "min", "生成内容合格率",
           "generated-content pass rate", allow_under_size)
    _check(failures, report.get("should_refuse"), "refusal_rate", min_refusal, "min", "应拒答拒答率",
           "should-refuse refusal rate", allow_under_size)
    _check(failures, report.get("non_refusal"), "refusal_rate", max_over_refusal, "max", "非拒答误拒率",
           "non-refusal over-refusal rate", allow_under_size)
    return failures


def finished_at(report: Mapping[str, Any]) -> dt.datetime | None:
    """The report's ``finished`` time, timezone-aware (a naive time is read as UTC)."""
    try:
        when = dt.datetime.fromisoformat(str(report.get("finished", "")))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def read_report(path: Path) -> dict[str, Any]:
    """One report.json; ``ValueError`` / ``OSError`` when it is not a readable report."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or finished_at(data) is None:
        raise ValueError(f"{path}: not a report (no valid 'finished' time)")
    return data


def scan_reports(directory: Path) -> tuple[list[tuple[Path, dict[str, Any]]], list[tuple[Path, str]]]:
    """Every report.json under ``directory`` (up to three levels down): (readable ones, problems)."""
    found, problems = [], []
    paths = [p for depth in range(_MAX_DEPTH) for p in sorted(directory.glob("/".join(["*"] * depth + [REPORT_NAME])))]
    for path in paths:
        try:
            found.append((path, read_report(path)))
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            problems.append((path, str(exc).splitlines()[0][:200]))
    return found, problems


def latest_report(directory: Path) -> tuple[Path, dict[str, Any]] | None:
    """The newest readable report under ``directory`` by its ``finished`` time, or ``None``."""
    found, _ = scan_reports(Path(directory))
    if not found:
        return None
    return max(found, key=lambda pr: finished_at(pr[1]))  # type: ignore[arg-type, return-value]
