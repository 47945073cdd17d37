from typer.testing import CliRunner

from hegui.cli.main import app


def _cfg(tmp_path, extra=""):
    cfg = tmp_path / "hegui.toml"
    cfg.write_text(f'var_dir = "{tmp_path}/var"\n[storage]\nurl = "sqlite:///{tmp_path}/var/h.db"\n' + extra,
                   encoding="utf-8")
    return cfg


def test_check_prints_register(tmp_path):
    r = CliRunner().invoke(app, ["check", "-c", str(_cfg(tmp_path))], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "obligations register" in r.output and "CSL-21" in r.output and "180" in r.output
    assert "已满足" in r.output and "not_met" in r.output  # no filing number configured


def test_check_json_reports_filing_met(tmp_path):
    import json

    r = CliRunner().invoke(app, ["check", "--json", "-c", str(_cfg(tmp_path, '[service]\nfiling_number = "X-1"\n'))])
    rows = {row["id"]: row for row in json.loads(r.output)}
    assert rows["DS-19"]["status"] == "met" and rows["CSL-21"]["status"] == "met"
    assert rows["LM-7"]["status"] == "not_applicable"
    # every duty whose control ships in this package is met; only the corpus-audit and
    # annotation duties (IM-7, IM-8) wait for their own issue
    pending = {k for k, row in rows.items() if row["status"] == "not_implemented"}
    assert pending == {"IM-7", "IM-8"}, pending
    assert all(row["status"] == "met" for k, row in rows.items() if k not in pending | {"LM-7"}), rows


def test_bad_config_is_clear(tmp_path):
    import subprocess
    import sys

    cfg = _cfg(tmp_path, "[retention]\nusage_log_days = 10\n")
    r = subprocess.run([sys.executable, "-m", "hegui.cli.main", "check", "-c", str(cfg)], capture_output=True, text=True)
    assert r.returncode == 2 and "CONFIG_INVALID" in r.stderr and "six months" in r.stderr


def test_database_from_an_unknown_schema_version_is_refused_clearly(tmp_path):
    import sqlite3

    import pytest

    from hegui.errors import SchemaMismatch
    from hegui.storage.db import Database

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES ('0123456789ab')")
    db = Database(f"sqlite:///{path}")
    with pytest.raises(SchemaMismatch) as ei:
        db.upgrade()
    db.dispose()
    assert "0123456789ab" in ei.value.message("en") and "数据库结构版本" in ei.value.message("zh")


def test_label_duties_fail_when_the_label_self_test_fails(make_services, monkeypatch):
    """LM-4/5/6 rest on a live self-test, not on a module being importable."""
    from hegui.errors import LabelError
    from hegui.labeling import gateway_image
    from hegui.obligations.register import evaluate

    ok = {row.duty.id: row.finding.status.value for row in evaluate(make_services())[1]}
    assert ok["LM-4"] == ok["LM-5"] == ok["LM-6"] == "met"

    def broken(*a, **k):
        raise LabelError(detail="carrier broken")
    monkeypatch.setattr(gateway_image, "label_generated_image", broken)
    rows = {row.duty.id: row.finding for row in evaluate(make_services())[1]}
    assert {rows[k].status.value for k in ("LM-4", "LM-5", "LM-6")} == {"not_met"}
    assert "carrier broken" in rows["LM-4"].reason_en
