"""``hegui ops``: every command, zh/en output, clear errors on bad input."""

from __future__ import annotations

import datetime as dt
import re

from typer.testing import CliRunner

from hegui.cli.main import app


def _cfg(tmp_path):
    cfg = tmp_path / "hegui.toml"
    cfg.write_text(f'var_dir = "{tmp_path}/var"\n[storage]\nurl = "sqlite:///{tmp_path}/var/h.db"\n', encoding="utf-8")
    return str(cfg)


def _run(cfg, *args):
    return CliRunner().invoke(app, ["ops", *args, "-c", cfg], env={"COLUMNS": "240"})


def _id(output: str) -> str:
    return re.search(r"\b([0-9a-f]{32})\b", output).group(1)


def test_incident_commands(tmp_path):
    cfg = _cfg(tmp_path)
    r = _run(cfg, "incident", "open", "--kind", "data_breach", "--severity", "high", "--summary", "leak",
             "--ref", "hgc-1")
    assert r.exit_code == 0, r.output
    assert "须于" in r.output and "report to the regulator by" in r.output
    iid = _id(r.output)
    r = _run(cfg, "incident", "advance", iid, "--to", "closed")
    assert r.exit_code != 0 and "cannot move from 'detected' to 'closed'" in str(r.exception)
    for target in ("classified", "reported", "contained", "closed"):
        r = _run(cfg, "incident", "advance", iid, "--to", target, "--note", "n")
        assert r.exit_code == 0 and target in r.output, r.output
    r = _run(cfg, "incident", "show", iid)
    assert r.exit_code == 0 and "closed" in r.output and "hgc-1" in r.output
    r = _run(cfg, "incident", "list")
    assert r.exit_code == 0 and "data_breach" in r.output
    r = _run(cfg, "incident", "show", "nope")
    assert "no incident with id nope" in str(r.exception)


def test_drill_review_order_and_algorithm_commands(tmp_path):
    cfg = _cfg(tmp_path)
    r = _run(cfg, "drill", "add", "--date", dt.date.today().isoformat(), "--scenario", "breach", "--participant", "a",
             "--participant", "b")
    assert r.exit_code == 0 and "recorded" in r.output
    assert "breach" in _run(cfg, "drill", "list").output
    r = _run(cfg, "drill", "add", "--date", "2026-02-30", "--scenario", "x", "--participant", "a")
    assert "not a date" in str(r.exception)
    r = _run(cfg, "review", "add", "--kind", "ethics", "--subject", "image model", "--reviewer", "张三",
             "--conclusion", "approve", "--evidence", "minutes.pdf")
    assert r.exit_code == 0 and "approve" in r.output
    assert "image model" in _run(cfg, "review", "list").output
    r = _run(cfg, "order", "add", "--authority", "省网信办", "--reference", "REF-1", "--content", "rectify",
             "--received", "2026-01-01", "--deadline", "2026-01-10", "--task", "t1", "--suspend")
    assert r.exit_code == 0 and "暂停服务生效" in r.output
    oid = _id(r.output)
    out = _run(cfg, "order", "list").output
    assert "OVERDUE" in out and "IN FORCE" in out
    assert "not done" in str(_run(cfg, "order", "close", oid, "--evidence", "x").exception)
    assert _run(cfg, "order", "task-done", oid, "1", "--evidence", "fix.pdf").exit_code == 0
    assert _run(cfg, "order", "close", oid).exit_code == 0
    out = _run(cfg, "order", "list").output
    assert "OVERDUE" not in out and "lifted" in out
    r = _run(cfg, "algorithm-review", "run", "--reviewer", "王五", "--conclusion", "ok")
    assert r.exit_code == 0 and "first review" in r.output, r.output
    r = _run(cfg, "algorithm-review", "run", "--reviewer", "王五", "--conclusion", "ok")
    assert "no change since the previous review" in r.output
    assert "王五" in _run(cfg, "algorithm-review", "list").output
    r = CliRunner().invoke(app, ["check", "--json", "-c", cfg])
    import json

    rows = {row["id"]: row for row in json.loads(r.output)}
    assert rows["DS-7"]["status"] == "met" and rows["DS-15"]["status"] == "met", rows["DS-7"]
