"""``hegui annotate`` end to end, and the console page (roles, CSRF, recording an inspection)."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from hegui.annotation import annotators, batches
from hegui.cli.main import app
from tests.console.conftest import console, csrf_of  # noqa: F401 - console is the fixture


def _cfg(tmp_path):
    cfg = tmp_path / "hegui.toml"
    cfg.write_text(f'var_dir = "{tmp_path}/var"\n[storage]\nurl = "sqlite:///{tmp_path}/var/h.db"\n'
                   '[annotation]\npass_mark = 0.8\n', encoding="utf-8")
    return str(cfg)


def _run(cfg, *args):
    return CliRunner().invoke(app, ["annotate", *args, "-c", cfg], env={"COLUMNS": "240"})


def test_cli_flow(tmp_path):
    cfg = _cfg(tmp_path)
    tpl = tmp_path / "t.md"
    assert CliRunner().invoke(app, ["annotate", "rules", "template", "--out", str(tpl)]).exit_code == 0
    r = CliRunner().invoke(app, ["annotate", "rules", "check", str(tpl)])
    assert r.exit_code == 0 and "still the hegui template" in r.output
    short = tmp_path / "short.md"
    short.write_text("# 风险识别\nA1a A1b\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["annotate", "rules", "check", str(short)], env={"COLUMNS": "400"})
    assert r.exit_code == 1 and "A5b" in r.output and "incident" in r.output
    adapted = tmp_path / "rules.md"
    adapted.write_text(tpl.read_text(encoding="utf-8").replace("hegui:template", "adapted"), encoding="utf-8")
    r = _run(cfg, "rules", "add", str(adapted), "--kind", "safety", "--version", "1", "--effective", "2026-01-01",
             "--approved-by", "负责人")
    assert r.exit_code == 0 and "approved" in r.output, r.output
    assert "yes 是" in _run(cfg, "rules", "list").output
    assert _run(cfg, "annotator", "add", "E1", "--initials", "Z.S.", "--role", "executor").exit_code == 0
    assert _run(cfg, "annotator", "add", "R1", "--initials", "L.S.", "--role", "reviewer").exit_code == 0
    assert _run(cfg, "annotator", "train", "E1", "--course", "rules v1", "--hours", "3").exit_code == 0
    r = _run(cfg, "annotator", "test", "E1", "--score", "0.85")
    assert "passed" in r.output and "0.800" in r.output  # the configured pass mark
    _run(cfg, "annotator", "test", "R1", "--score", "0.95")
    assert _run(cfg, "batch", "add", "b1", "--kind", "safety", "--items", "1000").exit_code == 0
    assert _run(cfg, "batch", "assign", "b1", "E1", "--role", "executor").exit_code == 0
    r = _run(cfg, "batch", "assign", "b1", "E1", "--role", "reviewer")
    assert r.exit_code != 0 and "does not hold the role reviewer" in str(r.exception)
    assert _run(cfg, "batch", "assign", "b1", "R1", "--role", "reviewer").exit_code == 0
    r = _run(cfg, "batch", "sample", "b1", "--aql", "1.0", "--out", str(tmp_path / "sample.txt"))
    assert "n = 80, Ac 2 / Re 3" in r.output and len((tmp_path / "sample.txt").read_text().split()) == 80
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("item_id,label\n1,safe\n2,A1f\n", encoding="utf-8")
    b.write_text("item_id,label\n1,safe\n2,A1f\n2,safe\n", encoding="utf-8")
    r = _run(cfg, "agreement", "import", "b1", str(a), str(b))
    assert r.exit_code != 0 and "b.csv:4" in str(r.exception)
    b.write_text("item_id,label\n1,safe\n2,safe\n", encoding="utf-8")
    assert "agreement 一致率 50.0%" in _run(cfg, "agreement", "import", "b1", str(a), str(b)).output
    r = _run(cfg, "batch", "accept", "b1", "--defects", "2", "--by", "QA", "--safety-failed", "60")
    assert "→ accept" in r.output and "discard" in r.output and "discarded" in r.output
    assert "discarded" in _run(cfg, "batch", "list").output
    labels = tmp_path / "safety.csv"
    labels.write_text("item_id,label\n1,A1f\n2,safe\n", encoding="utf-8")
    r = _run(cfg, "coverage", str(labels), "--total", "10")
    assert r.exit_code == 1 and "A1a=0" in r.output and "20.00%" in r.output
    r = _run(cfg, "export", "--out", str(tmp_path / "out"))
    assert r.exit_code == 0 and (tmp_path / "out" / "summary.html").is_file()
    assert "A1f" not in (tmp_path / "out" / "roster.csv").read_text(encoding="utf-8")


def test_console_page_and_inspection(console):
    sv = console.gw.services
    with sv.db.session() as s:
        annotators.add(s, actor="t", code="E1", initials="Z.S.", roles=["executor"])
        annotators.record_test(s, "E1", actor="t", score=0.95, pass_mark=0.9)
        b = batches.add(s, actor="t", name="<b>X</b>", kind="safety", item_count=1000)
        batches.assign(s, "<b>X</b>", "E1", "executor", actor="t", reexam_months=12)
        bid = b.id
    for role in ("admin", "reviewer", "auditor"):
        r = console.login(role).get("/console/annotation")
        assert r.status_code == 200 and "&lt;b&gt;X&lt;/b&gt;" in r.text and "<b>X</b>" not in r.text
        assert (f"/console/annotation/batches/{bid}/inspect" in r.text) == (role != "auditor")
    assert "<h1>Annotation QA</h1>" in console.login("admin").get("/console/annotation?lang=en").text
    c = console.login("auditor")
    token = csrf_of(c.get("/console/annotation").text)
    r = c.post(f"/console/annotation/batches/{bid}/inspect", data={"csrf": token, "defects": "0", "safety_failed": "0",
                                                                  "aql": "1.0"})
    assert r.status_code == 403
    c = console.login("reviewer")
    token = csrf_of(c.get("/console/annotation").text)
    r = c.post(f"/console/annotation/batches/{bid}/inspect", data={"csrf": "wrong", "defects": "0", "aql": "1.0"})
    assert r.status_code == 403
    r = c.post(f"/console/annotation/batches/{bid}/inspect", data={"csrf": token, "defects": "x", "aql": "1.0",
                                                                  "safety_failed": "0"})
    assert r.status_code == 400 and "whole number" in r.text
    r = c.post(f"/console/annotation/batches/{bid}/inspect", data={"csrf": token, "defects": "2", "aql": "1.0",
                                                                  "safety_failed": "51"})
    assert r.status_code == 303
    page = c.get("/console/annotation?lang=en").text
    assert re.search(r"2 → accept; 8.3 c: 51 <strong>Over 5 % — batch discarded</strong>", page)
    assert "Discarded" in page
