"""Everything a run leaves for the filing (TC260-003 §9; GB/T 45654 Annex B): report.json, the
report page and PDF in zh and en, and the test-question attachment. Each file is written
atomically and 0600 — reports hold the model's answers (as hegui's other exports: PIPL Art 51).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hegui.assessment.models import Answer, BankItem
from hegui.assessment.report.filing_xlsx import export_filing_bank
from hegui.fileio import write_atomic

FILE_MODE = 0o600


def report_json(report: Mapping[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, sort_keys=True, indent=1, allow_nan=False) + "\n"


def write_pages(report: Mapping[str, Any], out_dir: Path, *, langs: Iterable[str] = ("zh", "en"),
                pdf: bool = True, html_of: Callable[..., str] | None = None,
                pdf_of: Callable[[str, Path], Path] | None = None) -> list[Path]:
    """``report.html`` / ``report.pdf`` (zh) and ``report.<lang>.html`` / ``.pdf`` for the others.
    ``html_of`` / ``pdf_of`` render another kind of report (the corpus audit's) the same way."""
    from hegui.assessment.report.render import render_html, render_pdf

    html_of, pdf_of = html_of or render_html, pdf_of or render_pdf
    paths = []
    for lang in langs:
        stem = "report" if lang == "zh" else f"report.{lang}"
        html = html_of(report, lang=lang)
        paths.append(write_atomic(out_dir / f"{stem}.html", html, mode=FILE_MODE))
        if pdf:
            paths.append(pdf_of(html, out_dir / f"{stem}.pdf"))
    return paths


def write_outputs(report: Mapping[str, Any], out_dir: Path, *, items: Sequence[BankItem],
                  answers: Mapping[str, Answer], langs: Iterable[str] = ("zh", "en"), pdf: bool = True) -> list[Path]:
    """Write report.json, the pages and ``bank-export.xlsx`` into ``out_dir``; returns the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [write_atomic(out_dir / "report.json", report_json(report), mode=FILE_MODE)]
    paths += write_pages(report, out_dir, langs=langs, pdf=pdf)
    paths.append(export_filing_bank(out_dir / "bank-export.xlsx", report, items, answers))
    return paths
