"""The human-review worksheet for the manual method (GB/T 45654 B.2.2 b "人工抽检").

:func:`export_worksheet` writes one XLSX row per answer (question, answer, the automatic verdicts)
with a ``verdict`` dropdown (合格/不合格/拒答/未拒答 or pass/fail/refused/answered), a reviewer and a
note column; only those three columns can be edited (sheet protection, no password) and the
workbook structure is locked. Every cell is written as text: an answer that starts with ``=`` is not
a formula. :func:`import_worksheet` reads the reviewed file back into ``judge="human"`` verdicts;
a blank verdict means not reviewed; a bad row raises :class:`BankError` naming ``sheet!row``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from hegui.assessment.errors import BankError
from hegui.assessment.models import ASPECTS, Answer, BankItem, BankKind, JudgeVerdict, Outcome
from hegui.moderation.taxonomy import default_taxonomy
from hegui.reviewsheet import SheetLayout, SheetProblem, read_sheet, write_sheet

SHEET = "review"
VERSION = "worksheet/1"
HEADERS = {"zh": ["编号", "题库", "风险/方面", "问题", "回答", "自动判定", "人工结论", "审核人", "备注"],
           "en": ["id", "bank", "risk / aspect", "prompt", "answer", "automatic verdicts", "verdict", "reviewer", "note"]}
CHOICES = {"zh": ["合格", "不合格", "拒答", "未拒答"], "en": ["pass", "fail", "refused", "answered"]}
_OUTCOMES = dict(zip(CHOICES["zh"] + CHOICES["en"], [Outcome.PASS, Outcome.FAIL, Outcome.REFUSED, Outcome.ANSWERED] * 2))
_BANK_ZH = {BankKind.GENERATED: "生成内容", BankKind.SHOULD_REFUSE: "应拒答", BankKind.NON_REFUSAL: "非拒答"}
_ALLOWED = {BankKind.GENERATED: {Outcome.PASS, Outcome.FAIL},
            BankKind.SHOULD_REFUSE: {Outcome.REFUSED, Outcome.ANSWERED},
            BankKind.NON_REFUSAL: {Outcome.REFUSED, Outcome.ANSWERED}}
LAYOUT = SheetLayout(SHEET, HEADERS, verdict_col=7, editable=(7, 8, 9), widths=(14, 10, 20, 50, 70, 30, 12, 12, 30))


def _topic(item: BankItem, lang: str) -> str:
    if item.risk:
        try:
            r = default_taxonomy().risk(item.risk)
            return f"{r.id} {r.name_zh if lang == 'zh' else r.name_en}"
        except (KeyError, ValueError):
            return item.risk
    for a in ASPECTS:
        if a.id == item.aspect:
            return a.name_zh if lang == "zh" else a.name_en
    return item.aspect or ""


def _auto(verdicts: Sequence[JudgeVerdict]) -> str:
    return "; ".join(f"{v.judge}: {v.outcome.value}" + (f" ({v.risk})" if v.risk else "") for v in verdicts)


def export_worksheet(path: Path, rows: Sequence[tuple[BankItem, Answer, Sequence[JudgeVerdict]]], *,
                     lang: str = "zh") -> Path:
    """Write the review worksheet (atomically) and return its path."""
    lang = "zh" if lang == "zh" else "en"
    values = []
    for item, answer, verdicts in rows:
        bank = _BANK_ZH[item.bank] if lang == "zh" else item.bank.value
        body = answer.text if answer.text else f"[{answer.status.value}] {answer.error}"
        values.append([item.id, bank, _topic(item, lang), item.prompt, body, _auto(verdicts), "", "", ""])
    return write_sheet(Path(path), LAYOUT, values, lang=lang, choices=CHOICES[lang], mode=0o600,
                       error="请选择 合格/不合格/拒答/未拒答" if lang == "zh" else "Choose pass/fail/refused/answered")


def _err(path: Path, row: int, detail: str) -> BankError:
    return BankError(location=f"{path.name} {SHEET}!{row}", detail=detail)


def import_worksheet(path: Path, *, known_ids: Collection[str] | None = None) -> list[JudgeVerdict]:
    """Reviewed rows as ``judge="human"`` verdicts (evidence: reviewer, note, file, row); blank
    verdicts are skipped. Ids must be among the exported ones (the hidden ``_ids`` sheet) and, when
    given, ``known_ids``."""
    path = Path(path)
    try:
        rows, exported = read_sheet(path, LAYOUT)
    except SheetProblem as exc:
        raise BankError(location=exc.location, detail=exc.detail) from exc
    out: list[JudgeVerdict] = []
    seen: set[str] = set()
    for n, cells in rows:
        item_id, bank_cell, verdict_cell, reviewer, note = cells[0], cells[1], cells[6], cells[7], cells[8]
        if not verdict_cell:
            continue  # not reviewed
        if (exported is not None and item_id not in exported) or (known_ids is not None and item_id not in known_ids):
            raise _err(path, n, f"unknown id / 未知编号: {item_id[:80]!r}")
        if item_id in seen:
            raise _err(path, n, f"duplicate id / 编号重复: {item_id[:80]!r}")
        seen.add(item_id)
        outcome = _OUTCOMES.get(verdict_cell) or _OUTCOMES.get(verdict_cell.lower())
        if outcome is None:
            raise _err(path, n, f"unknown verdict / 未知结论 {verdict_cell[:40]!r} "
                                "(合格/不合格/拒答/未拒答 or pass/fail/refused/answered)")
        bank = next((b for b, zh in _BANK_ZH.items() if bank_cell in (zh, b.value)), None)
        if bank is not None and outcome not in _ALLOWED[bank]:
            raise _err(path, n, f"verdict {verdict_cell!r} does not fit bank {bank_cell!r} / 结论与题库不符")
        out.append(JudgeVerdict(item_id, "human", VERSION, outcome,
                                {"reviewer": reviewer[:200], "note": note[:2000], "file": path.name, "row": n}))
    return out
