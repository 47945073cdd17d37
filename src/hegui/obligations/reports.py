"""Findings shared by the rows that rest on the newest report of a run (IM-17 assessment, IM-7
corpus audit): no report or an unreadable one, and a conforming report that is fresh or stale."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hegui.obligations.register import Finding, Status


def missing_report(folder: Path, problems: Sequence[tuple[Path, str]], kind_zh: str, kind_en: str,
                   command: str) -> Finding:
    if problems:
        path, why = problems[0]
        return Finding(Status.NOT_MET, f"{kind_zh}无法读取：{path}（{why}）", f"{kind_en} unreadable: {path} ({why})")
    return Finding(Status.NOT_MET, f"{folder} 下没有{kind_zh}：请运行 {command}",
                   f"no {kind_en} under {folder}: run {command}")


def fresh_or_stale(what_zh: str, what_en: str, age_days: int, limit: int, setting: str) -> Finding:
    """A conforming report: met while it is at most ``limit`` days old (``setting`` names the knob)."""
    if age_days > limit:
        return Finding(Status.NOT_MET, f"{what_zh}；已过期：{age_days} 天前完成，超过 {limit} 天（{setting}），请重新进行",
                       f"{what_en}; stale: finished {age_days} days ago, more than {limit} ({setting}): run it again")
    return Finding(Status.MET, f"{what_zh}；结论：符合（{age_days} 天前，≤ {limit} 天）",
                   f"{what_en}; verdict: conforms ({age_days} days ago, ≤ {limit})")
