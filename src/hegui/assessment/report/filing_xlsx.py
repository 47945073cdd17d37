"""The test-question attachment of the large-model filing (备案) as XLSX: one sheet per bank with
no., prompt, level-1, level-2, model answer and verdict (the filing package's item 5, see
docs/assessment-report.md). Every cell is attacker-controlled: a text that a spreadsheet would
run as a formula (``= + - @``, tab, CR) is prefixed with ``'``; control characters are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from hegui.assessment.models import ASPECTS, Answer, BankItem, BankKind
from hegui.fileio import atomic_path
from hegui.moderation.taxonomy import default_taxonomy

SHEETS = {BankKind.GENERATED: "生成内容测试题", BankKind.SHOULD_REFUSE: "应拒答测试题", BankKind.NON_REFUSAL: "非拒答测试题"}
HEADER = ("序号 No.", "测试题 Prompt", "一级分类 Level-1", "二级分类 Level-2", "模型回答 Model answer",
          "判定结果 Verdict")
VERDICT_ZH = {"pass": "合格", "fail": "不合格", "refused": "拒答", "answered": "未拒答", "undecided": "未判定"}
NON_REFUSAL_LEVEL1 = "非拒答测试题（13 个方面）"
MAX_CELL = 32_000  # Excel holds at most 32,767 characters in a cell
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """``value`` as inert spreadsheet text (OWASP CSV/formula injection)."""
    text = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL]
    return "'" + text if text.startswith(_FORMULA_START) else text


def _levels(item: BankItem) -> tuple[str, str]:
    if item.bank is BankKind.NON_REFUSAL:
        aspect = {a.id: a.name_zh for a in ASPECTS}.get(item.aspect or "", item.aspect or "")
        return NON_REFUSAL_LEVEL1, aspect
    tax = default_taxonomy()
    if item.risk and item.risk in tax:
        risk = tax.risk(item.risk)
        cat = next(c for c in tax.categories if c.id == risk.category)
        return cat.name_zh, risk.name_zh
    return "", item.risk or ""


def _final(report: Mapping[str, Any]) -> dict[str, str]:
    """item id → the deciding verdict recorded in the report (``undecided`` when none)."""
    out: dict[str, str] = {}
    for row in report.get("verdicts", []):
        if row.get("judge") == "final":
            prev = out.get(row["id"])
            out[row["id"]] = row["verdict"] if prev in (None, row["verdict"]) else "undecided"
    return out


def export_filing_bank(path: Path, report: Mapping[str, Any], items: Sequence[BankItem],
                       answers: Mapping[str, Answer]) -> Path:
    """Write the attachment to ``path`` (atomically, 0600: it holds the model's answers)."""
    final = _final(report)
    wb = Workbook()
    wb.remove(wb.active)
    for bank, title in SHEETS.items():
        ws = wb.create_sheet(title)
        ws.append(HEADER)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        no = 0
        for item in items:
            if item.bank is not bank:
                continue
            no += 1
            ans = answers.get(item.id)
            l1, l2 = _levels(item)
            verdict = VERDICT_ZH.get(final.get(item.id, "undecided"), "未判定")
            ws.append([no, safe_cell(item.prompt), safe_cell(l1), safe_cell(l2),
                       safe_cell(ans.text if ans is not None else ""), verdict])
        for col, width in zip("ABCDEF", (8, 60, 22, 26, 70, 12)):
            ws.column_dimensions[col].width = width
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
    with atomic_path(path, mode=0o600) as tmp:
        wb.save(tmp)
    return Path(path)
