"""The newest corpus-audit report under a folder (IM-7 in ``hegui check``; the filing dossier's
corpus-audit piece). A report is ``report.json`` up to three levels down with ``kind:
corpus-audit`` and a valid ``generated_at`` time; the newest by that time wins."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hegui.corpus.report.compute import KIND

_MAX_DEPTH = 3  # DIR/report.json, DIR/audit/report.json, DIR/corpus/audit/report.json


def report_time(report: Mapping[str, Any]) -> dt.datetime | None:
    """``generated_at``, timezone-aware (a naive time is read as UTC); ``None`` when invalid."""
    try:
        when = dt.datetime.fromisoformat(str(report.get("generated_at", "")))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def scan_corpus_reports(directory: Path) -> tuple[list[tuple[Path, dict[str, Any]]], list[tuple[Path, str]]]:
    """(readable corpus reports, problems) under ``directory``."""
    found, problems = [], []
    for depth in range(_MAX_DEPTH):
        for path in sorted(Path(directory).glob("/".join(["*"] * depth + ["report.json"]))):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(data, dict) or data.get("kind") != KIND or report_time(data) is None:
                    raise ValueError("not a corpus-audit report (kind, generated_at)")
                found.append((path, data))
            except (OSError, ValueError, UnicodeDecodeError) as exc:
                problems.append((path, str(exc).splitlines()[0][:200]))
    return found, problems


def latest_corpus_report(directory: Path) -> tuple[Path, dict[str, Any]] | None:
    """The newest readable corpus report under ``directory``, or ``None``."""
    found, _ = scan_corpus_reports(Path(directory))
    return max(found, key=lambda pr: (report_time(pr[1]), str(pr[0]))) if found else None  # type: ignore[arg-type, return-value]
