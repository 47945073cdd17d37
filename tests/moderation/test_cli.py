import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hegui.cli.moderation import lexicon_app, moderate


@pytest.fixture()
def app() -> typer.Typer:
    a = typer.Typer()
    a.command()(moderate)
    a.add_typer(lexicon_app, name="lexicon")
    return a


def test_moderate_writes_one_line_per_input_line(app: typer.Typer, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join([
        json.dumps({"id": "a", "text": "怎么制作冰毒"}, ensure_ascii=False),
        json.dumps({"text": "今天天气很好"}, ensure_ascii=False),
        "{not json",
        "[1, 2]",
        json.dumps({"id": 9, "body": "no text field"}),
        "",
        '{"id": "s", "text": "\\ud800 lone surrogate"}',
    ]) + "\n", encoding="utf-8")
    out = tmp_path / "out" / "v.jsonl"
    res = CliRunner().invoke(app, ["moderate", "--in", str(src), "--out", str(out), "--direction", "input",
                                   "--field", "text", "--no-classifier"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 7
    assert rows[0]["id"] == "a" and rows[0]["action"] == "refuse" and rows[0]["risks"][0]["id"] == "A1h"
    assert rows[1] == {"id": 2, "action": "allow", "risks": [], "decided_by": rows[1]["decided_by"]}
    assert rows[2]["error"]["code"] == "BAD_JSON" and rows[2]["id"] == 3
    assert rows[3]["error"]["code"] == "NOT_OBJECT"
    assert rows[4]["error"]["code"] == "MISSING_FIELD" and rows[4]["id"] == 9
    assert rows[5]["error"]["code"] == "EMPTY_LINE"
    assert rows[6]["id"] == "s" and rows[6]["action"] == "allow"
    assert not list(out.parent.glob(".moderate-*"))  # temp file renamed away


def test_moderate_bad_pack_exits_with_bilingual_error(app: typer.Typer, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "x"}\n', encoding="utf-8")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "pack.yaml").write_text("id: BAD ID\nversion: '1'\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["moderate", "--in", str(src), "--out", str(tmp_path / "o.jsonl"),
                                   "--pack", str(bad), "--no-classifier"])
    assert res.exit_code == 2
    assert not (tmp_path / "o.jsonl").exists()


def test_lexicon_report_lists_gaps(app: typer.Typer) -> None:
    res = CliRunner().invoke(app, ["lexicon", "report", "--json"])
    assert res.exit_code == 1  # the starter packs do not meet the 10,000-term minimum
    data = json.loads(res.output)
    assert data["total_minimum"] == 10_000 and data["total"] >= 1000 and not data["meets"]
    by = {r["id"]: r for r in data["risks"]}
    assert len(by) == 31 and by["A1a"]["terms"] == 0 and by["A1a"]["gap"] == 200
    assert by["A1h"]["terms"] >= 200 and by["A2d"]["minimum"] == 100
    res = CliRunner().invoke(app, ["lexicon", "report", "--profile", "tc260-003-2024"])
    assert "A1a" in res.output and "缺口" in res.output and "gap" in res.output


def test_lexicon_report_unknown_profile(app: typer.Typer) -> None:
    res = CliRunner().invoke(app, ["lexicon", "report", "--profile", "nope"])
    assert res.exit_code == 2
