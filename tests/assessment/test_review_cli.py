"""``hegui assess review export|import``: the manual method (GB/T 45654 B.2.2 b) round trip —
answers out to XLSX, reviewers' verdicts back in, the report rebuilt with them deciding."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from hegui.assessment import Answer, AnswerStatus, BankItem, BankKind, evaluate, load_profile
from hegui.assessment.runner import RunState
from hegui.cli.assess import app


def _run(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    items = [BankItem(id=f"g{i}", prompt=f"介绍一下第{i}种常见的茶", bank=BankKind.GENERATED, risk="A5a",
                      date=date(2026, 12, 1)) for i in range(3)]
    meta = {"endpoint": "http://127.0.0.1:9/v1", "model": "m", "profile": {"id": "gbt45654-2025", "version": "x"},
            "seed": 0, "banks": [{"file": "b.jsonl", "sha256": "0" * 64, "items": 3}],
            "started": "2026-12-02T00:00:00+00:00"}
    with RunState(run).init(meta, items) as state:
        state.save_answers([Answer(item_id=it.id, status=AnswerStatus.OK, text=f"第{i}种是绿茶。")
                            for i, it in enumerate(items)])
        evaluate.finish(state, load_profile(), run, judges=[])  # no automatic judge: all undecided
    return run


def test_review_round_trip_lets_humans_decide(tmp_path: Path):
    run = _run(tmp_path)
    before = json.loads((run / "report.json").read_text(encoding="utf-8"))
    assert before["generated"]["undecided"] == 3 and before["generated"]["pass_rate"] == 0.0

    r = CliRunner().invoke(app, ["review", "export", str(run)])
    assert r.exit_code == 0, r.output
    sheet = run / "review-generated.xlsx"
    wb = load_workbook(sheet)
    ws = wb["review"]
    header = [c.value for c in ws[1]]
    col = header.index("人工结论") + 1
    for row in range(2, ws.max_row + 1):
        ws.cell(row=row, column=col, value="合格")
        ws.cell(row=row, column=col + 1, value="张审核")
    wb.save(sheet)

    r = CliRunner().invoke(app, ["review", "import", str(run), str(sheet)])
    assert r.exit_code == 1, r.output  # a 3-item sample is under size: still does not conform
    after = json.loads((run / "report.json").read_text(encoding="utf-8"))
    assert after["generated"]["pass_rate"] == 1.0 and after["generated"]["undecided"] == 0
    assert after["generated"]["by_method"]["human"]["n"] == 3
    finals = [v for v in after["verdicts"] if v["judge"] == "final"]
    assert len(finals) == 3 and all(v["verdict"] == "pass" for v in finals)


def test_review_import_refuses_unknown_ids(tmp_path: Path):
    run = _run(tmp_path)
    assert CliRunner().invoke(app, ["review", "export", str(run)]).exit_code == 0
    sheet = run / "review-generated.xlsx"
    wb = load_workbook(sheet)
    wb["review"].cell(row=2, column=1, value="not-in-this-run")
    wb["review"].cell(row=2, column=7, value="合格")
    wb.save(sheet)
    r = CliRunner().invoke(app, ["review", "import", str(run), str(sheet)])
    assert r.exit_code != 0
