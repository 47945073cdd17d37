"""Protected XLSX review worksheets, shared by the assessment's manual method (GB/T 45654 B.2.2 b)
and the corpus audit's manual sample (B.2.1 a).

:func:`write_sheet` writes one header row and one text row per item, a verdict dropdown, and leaves
only the reviewer's columns editable (sheet protection, no password; workbook structure locked).
Every cell is written as text — a field that starts with ``=`` is not a formula — and the ids are
copied to a hidden ``_ids`` sheet so an import only accepts rows that were exported.
:func:`read_sheet` yields the rows back with their 1-based row numbers; every problem is a
``(location, detail)`` pair the caller turns into its own error (``file sheet!row``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, Protection
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from hegui.fileio import atomic_path

IDS_SHEET = "_ids"
MAX_CELL = 32_000  # Excel's cell limit is 32,767 characters


class SheetProblem(Exception):
    """A worksheet cannot be read: ``location`` (``file sheet!row`` or the path) and ``detail``."""

    def __init__(self, location: str, detail: str) -> None:
        super().__init__(f"{location}: {detail}")
        self.location, self.detail = location, detail


@dataclass(frozen=True)
class SheetLayout:
    """Where things are: the sheet name, headers per language, the 1-based verdict column and the
    editable columns (verdict, reviewer, note), and the column widths."""

    sheet: str
    headers: dict[str, list[str]]
    verdict_col: int
    editable: tuple[int, ...]
    widths: tuple[int, ...]

    @property
    def ncols(self) -> int:
        return len(next(iter(self.headers.values())))


def cell_text(value: Any) -> str:
    """``value`` as a cell string: illegal XML characters replaced, cut at the cell limit."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value if value is not None else ""))[:MAX_CELL]


def _col(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


def write_sheet(path: Path, layout: SheetLayout, rows: Sequence[Sequence[Any]], *, lang: str,
                choices: Sequence[str], error: str, mode: int = 0o600) -> Path:
    """Write the worksheet atomically (``mode``); ``rows[i][0]`` is the item id."""
    wb = Workbook()
    ws = wb.active
    ws.title = layout.sheet
    ws.append(layout.headers[lang])
    for c in ws[1]:
        c.font = Font(bold=True)
    for values in rows:
        ws.append([cell_text(v) for v in values])
        for c in ws[ws.max_row]:
            c.data_type = "s"  # never a formula, whatever the text starts with
            c.alignment = Alignment(wrap_text=True, vertical="top")
    last = max(ws.max_row, 2)
    dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                        showErrorMessage=True, errorTitle="verdict", error=error)
    ws.add_data_validation(dv)
    vcol = _col(layout.verdict_col)
    dv.add(f"{vcol}2:{vcol}{last}")
    for row in ws.iter_rows(min_row=2, max_row=last, min_col=layout.editable[0], max_col=layout.editable[-1]):
        for c in row:
            c.protection = Protection(locked=False)
    for i, width in enumerate(layout.widths, start=1):
        ws.column_dimensions[_col(i)].width = width
    ws.freeze_panes = "A2"
    ws.protection.sheet = True
    ws.protection.formatRows = False  # reviewers may resize rows and columns to read long text
    ws.protection.formatColumns = False
    ids = wb.create_sheet(IDS_SHEET)
    for values in rows:
        ids.append([cell_text(values[0])])
    ids.sheet_state = "hidden"
    ids.protection.sheet = True
    wb.security = WorkbookProtection(lockStructure=True)
    path = Path(path)
    with atomic_path(path, mode=mode) as tmp:
        wb.save(tmp)
    return path


def read_sheet(path: Path, layout: SheetLayout) -> tuple[list[tuple[int, list[str]]], set[str] | None]:
    """``([(row number, stripped cells)] for every non-empty data row, exported ids)``; raises
    :class:`SheetProblem` for an unreadable file, a missing sheet or a wrong header."""
    path = Path(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file: one clear error
        raise SheetProblem(str(path), f"not a readable XLSX worksheet / 无法读取工作表: {exc}") from exc
    try:
        if layout.sheet not in wb.sheetnames:
            raise SheetProblem(str(path), f"no sheet '{layout.sheet}' / 缺少工作表 '{layout.sheet}'")
        exported = {str(r[0]) for r in wb[IDS_SHEET].iter_rows(values_only=True) if r and r[0] is not None} \
            if IDS_SHEET in wb.sheetnames else None
        rows = wb[layout.sheet].iter_rows(values_only=True)
        n = layout.ncols
        header = [str(h or "").strip() for h in next(rows, ())]
        if header[:n] not in list(layout.headers.values()):
            raise SheetProblem(f"{path.name} {layout.sheet}!1", "unexpected header / 表头不符: " + ", ".join(header[:n]))
        out = []
        for number, row in enumerate(rows, start=2):
            cells = [("" if v is None else str(v)).strip() for v in (tuple(row) + ("",) * n)[:n]]
            if any(cells):
                out.append((number, cells))
        return out, exported
    finally:
        wb.close()
