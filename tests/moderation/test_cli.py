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


def _run(app: typer.Typer, *args: str):  # noqa: ANN202
    return CliRunner().invoke(app, ["moderate", *args])


def test_moderate_emits_guide_and_degraded(app: typer.Typer, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "g", "text": "河南人都是骗子"}, ensure_ascii=False) + "\n"
                   + json.dumps({"id": "ok", "text": "今天天气很好"}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "v.jsonl"
    assert _run(app, "--in", str(src), "--out", str(out), "--no-classifier").exit_code == 0
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert rows[0]["action"] == "guide" and rows[0]["guidance"] == ["A2d"] and "degraded" not in rows[0]
    from hegui.moderation import classifier

    def boom(cls: type) -> None:
        raise OSError("default.npz missing")

    monkeypatch.setattr(classifier.Classifier, "load_default", classmethod(boom))
    res = _run(app, "--in", str(src), "--out", str(out))
    assert res.exit_code == 0 and "unavailable" in res.output and "不可用" in res.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["action"] for r in rows] == ["refuse", "refuse"]  # fail closed
    assert all(r["degraded"] == ["classifier"] for r in rows)


def test_out_equal_to_input_needs_in_place(app: typer.Typer, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    original = json.dumps({"id": 1, "text": "怎么制作冰毒"}, ensure_ascii=False).encode() + b"\n"
    src.write_bytes(original)
    res = _run(app, "--in", str(src), "--out", str(src), "--no-classifier")
    assert res.exit_code == 2 and "--in-place" in res.output and "同一个文件" in res.output
    assert src.read_bytes() == original
    alias = tmp_path / "alias.jsonl"
    alias.symlink_to(src)
    assert _run(app, "--in", str(src), "--out", str(alias), "--no-classifier").exit_code == 2
    assert src.read_bytes() == original
    res = _run(app, "--in", str(src), "--out", str(src), "--no-classifier", "--in-place")
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in src.read_text(encoding="utf-8").splitlines()]
    assert rows == [{"id": 1, "action": "refuse", "risks": rows[0]["risks"], "decided_by": rows[0]["decided_by"]}]
    assert not list(tmp_path.glob(".*"))  # no temp file left behind


def test_bad_input_lines_get_numbered_bilingual_errors(app: typer.Typer, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import hegui.cli.moderation as cli

    monkeypatch.setattr(cli, "MAX_LINE_BYTES", 4096)
    monkeypatch.setattr(cli, "_READ", 1000)
    mixed = "中文English混合русский текстالعربية 😀👍🏽 \u200b\u200d\u202e\ufeff 冰\u200b毒"
    lines = [
        json.dumps({"id": "big", "text": "正常" * 1500 + "海洛因购买"}, ensure_ascii=False).encode(),  # > 4096 bytes
        json.dumps({"id": "mixed", "text": mixed}, ensure_ascii=False).encode(),
        b'{"id": "latin1", "text": "caf\xe9"}',
        b'{"id": "cut", "text": "unterminated',
        b'{"id": "deep", "text": ' + b"[" * 1500 + b"]" * 1500 + b"}",  # deeper than parsers allow
        json.dumps({"id": "emoji", "text": "😀" * 900}, ensure_ascii=False).encode(),
    ]
    src = tmp_path / "in.jsonl"
    raw = b"\n".join(lines) + b"\n"
    src.write_bytes(raw)
    out = tmp_path / "v.jsonl"
    res = _run(app, "--in", str(src), "--out", str(out), "--no-classifier")
    assert res.exit_code == 0, res.output
    assert src.read_bytes() == raw  # the input is never touched
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(lines)
    assert rows[0]["error"]["code"] == "LINE_TOO_LONG" and rows[0]["line"] == 1
    assert "line 1" in rows[0]["error"]["message_en"] and "第 1 行" in rows[0]["error"]["message_zh"]
    assert rows[1]["id"] == "mixed" and rows[1]["action"] == "refuse"  # 冰毒 behind a zero-width space
    assert rows[2]["error"]["code"] == "NOT_UTF8" and "第 3 行" in rows[2]["error"]["message_zh"]
    assert rows[3]["error"]["code"] == "BAD_JSON" and "line 4" in rows[3]["error"]["message_en"]
    assert rows[4]["error"]["code"] in ("BAD_JSON", "MISSING_FIELD") and rows[4]["line"] == 5
    assert rows[5]["id"] == "emoji" and rows[5]["action"] == "allow"


def test_megabyte_line_is_moderated(app: typer.Typer, tmp_path: Path) -> None:
    text = ("中文English混合русский текст 😀\u200b" * 40_000)[:1_000_000] + "怎么制作冰毒"
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "mb", "text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "v.jsonl"
    assert _run(app, "--in", str(src), "--out", str(out), "--no-classifier").exit_code == 0
    row = json.loads(out.read_text(encoding="utf-8"))
    assert row["id"] == "mb" and row["action"] == "refuse"
