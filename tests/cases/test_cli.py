"""``hegui cases`` commands."""

from __future__ import annotations

from typer.testing import CliRunner

from hegui.cli.cases import app


def test_deadline_and_calendar(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # ./var has no operator calendar files
    r = CliRunner().invoke(app, ["deadline", "pi_delete", "--received", "2026-09-28"])
    assert r.exit_code == 0 and "2026-10-23" in r.output
    r = CliRunner().invoke(app, ["calendar", "--year", "2027"])
    assert r.exit_code == 1 and "2027" in r.output
    r = CliRunner().invoke(app, ["deadline", "pi_delete", "--received", "2026-12-20"])
    assert r.exit_code == 0 and "2027-01-08" in r.output and "PROVISIONAL" in r.output


def test_report_and_alerts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "r.csv"
    r = CliRunner().invoke(app, ["report", "--from", "2026-01-01", "--to", "2026-12-31", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "cases 投诉举报" in out.read_text(encoding="utf-8-sig")
    r = CliRunner().invoke(app, ["alerts"])
    assert r.exit_code == 0, r.output
