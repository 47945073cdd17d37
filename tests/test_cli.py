from typer.testing import CliRunner

from hegui.cli.main import app


def _cfg(tmp_path, extra=""):
    cfg = tmp_path / "hegui.toml"
    cfg.write_text(f'var_dir = "{tmp_path}/var"\n[storage]\nurl = "sqlite:///{tmp_path}/var/h.db"\n' + extra,
                   encoding="utf-8")
    return cfg


def test_check_prints_register(tmp_path):
    r = CliRunner().invoke(app, ["check", "--verbose", "-c", str(_cfg(tmp_path))], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "obligations register" in r.output and "CSL-21" in r.output and "180" in r.output
    assert "已满足" in r.output and "not_met" in r.output  # no filing number configured


def test_check_json_reports_filing_met(tmp_path):
    import json

    r = CliRunner().invoke(app, ["check", "--json", "-c", str(_cfg(tmp_path, '[service]\nfiling_number = "X-1"\n'))])
    rows = {row["id"]: row for row in json.loads(r.output)}
    assert rows["DS-19"]["status"] == "met" and rows["CSL-21"]["status"] == "met"
    assert rows["LM-7"]["status"] == "not_applicable"
    # nothing is left "not built"; biometric-editing consent rests on its self-test (issue 14)
    pending = {k for k, row in rows.items() if row["status"] == "not_implemented"}
    assert pending == set(), pending
    assert rows["DS-14"]["status"] == "met" and "self-test" in rows["DS-14"]["reason_en"]
    # IM-7 rests on a conforming corpus audit report (hegui corpus audit), which a fresh install lacks;
    # IM-8 on approved safety annotation rules, qualified annotators and an accepted batch
    assert rows["IM-7"]["status"] == "not_met" and "no training-corpus audit report" in rows["IM-7"]["reason_en"]
    assert rows["IM-8"]["status"] == "not_met" and "safety annotation rules" in rows["IM-8"]["reason_en"]
    # the training half of DS-14 and LM-9 rest on self-tests that ran, not on a module importing
    assert rows["DS-14-T"]["status"] == "met" and "self-test" in rows["DS-14-T"]["reason_en"]
    assert rows["LM-9"]["status"] == "met" and "self-test" in rows["LM-9"]["reason_en"]
    # the demo model is no filed foundation model: base-model legitimacy does not apply yet
    assert rows["IM-7-1"]["status"] == "not_applicable"
    # IM-17 rests on a conforming assessment report (hegui assess run), which a fresh install lacks
    assert rows["IM-17"]["status"] == "not_met" and "no security-assessment report" in rows["IM-17"]["reason_en"]
    assert rows["IM-17-F"]["status"] == "met"
    # the regulator's test channel is met only once one has been issued and exercised
    assert rows["FILING-TC"]["status"] == "not_met" and "exercised" in rows["FILING-TC"]["reason_en"]
    # new rows of issue 11 that a fresh install meets on live evidence
    for k in ("IM-9-L", "IM-10-D", "PIPL-23", "PIPL-38", "GOV-ORDERS"):
        assert rows[k]["status"] == "met", rows[k]
    # the management records (hegui ops) start empty: no drill, review or algorithm review yet
    assert rows["DS-7"]["status"] == "not_met" and "no emergency drill" in rows["DS-7"]["reason_en"]
    assert rows["DS-15"]["status"] == "not_met" and "no algorithm review" in rows["DS-15"]["reason_en"]
    assert all(row["status"] == "met" for k, row in rows.items()
               if k not in pending | {"LM-7", "IM-7", "IM-7-1", "IM-17", "FILING-TC", "DS-7", "DS-15", "IM-8"}), rows


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


def _run_cli(*args, cwd=None):
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-m", "hegui.cli.main", *args], capture_output=True, text=True,
                          env=env, cwd=cwd)


def test_var_files_are_private(tmp_path):
    """Database (with its WAL/SHM), keys, checkpoint: 0600 files in 0700 folders (PIPL Art 51)."""
    import stat

    cfg = _cfg(tmp_path)
    r = _run_cli("admin", "create", "alice", "-c", str(cfg))
    assert r.returncode == 0, r.stderr
    var = tmp_path / "var"
    found = {p.name for p in var.rglob("*")}
    assert {"h.db", "secret.key", "audit-head.json"} <= found, found
    for p in [var, *var.rglob("*")]:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o700 if p.is_dir() else 0o600), f"{p}: {oct(mode)}"


def test_existing_database_files_are_made_private(tmp_path):
    import stat

    from hegui.storage.db import Database

    path = tmp_path / "old.db"
    for suffix in ("", "-wal", "-shm"):
        p = tmp_path / f"old.db{suffix}"
        p.write_bytes(b"")
        p.chmod(0o644)
    db = Database(f"sqlite:///{path}")
    with db.session() as s:
        s.execute(__import__("sqlalchemy").text("CREATE TABLE t (x INTEGER)"))
    db.dispose()
    for suffix in ("", "-wal", "-shm"):
        p = tmp_path / f"old.db{suffix}"
        if p.exists():
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, suffix


def test_audit_anchor_after_a_lost_checkpoint(tmp_path):
    cfg = _cfg(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["admin", "create", "bob", "-c", str(cfg)]).exit_code == 0
    ok = runner.invoke(app, ["audit", "verify", "-c", str(cfg)])
    assert ok.exit_code == 0 and "checkpoint" in ok.output, ok.output
    (tmp_path / "var" / "audit-head.json").unlink()
    bad = runner.invoke(app, ["audit", "verify", "-c", str(cfg)], env={"COLUMNS": "300"})
    assert bad.exit_code == 1 and "missing" in bad.output, bad.output
    assert runner.invoke(app, ["audit", "anchor", "-c", str(cfg)]).exit_code == 1  # asks for --yes first
    assert runner.invoke(app, ["audit", "anchor", "--yes", "-c", str(cfg)]).exit_code == 0
    again = runner.invoke(app, ["audit", "verify", "-c", str(cfg)])
    assert again.exit_code == 0 and "audit log OK" in again.output, again.output


def test_first_run_password_shown_once_and_kept_only_as_a_hash(make_services):
    import json
    from pathlib import Path

    from argon2 import PasswordHasher

    from hegui.bootstrap import bootstrap

    sv = make_services()
    first = bootstrap(sv, demo=True)
    assert first.admin_password and first.api_key
    path = Path(sv.settings.var_dir) / "first-run.json"
    raw = path.read_text()
    assert first.admin_password not in raw and "admin_password\"" not in raw
    assert PasswordHasher().verify(json.loads(raw)["admin_password_hash"], first.admin_password)
    assert json.loads(raw)["api_key"] == first.api_key  # the demo can still be restarted
    again = bootstrap(sv, demo=True)
    assert again.admin_password is None and again.api_key == first.api_key


def test_first_run_file_of_an_earlier_version_loses_its_plain_password(make_services):
    import json
    from pathlib import Path

    from hegui.bootstrap import bootstrap

    sv = make_services()
    first = bootstrap(sv, demo=False)
    path = Path(sv.settings.var_dir) / "first-run.json"
    path.write_text(json.dumps({"admin_user": "admin", "admin_password": first.admin_password, "api_key": None,
                                "demo_user": None}))
    assert bootstrap(sv, demo=False).admin_password is None
    assert first.admin_password not in path.read_text()


def test_in_memory_sqlite_url_creates_no_file(tmp_path, monkeypatch):
    import os

    from hegui.storage.db import Database

    monkeypatch.chdir(tmp_path)
    for url in ("sqlite://", "sqlite:///:memory:"):
        try:
            Database(url)
        except TypeError:  # pool arguments do not apply to in-memory SQLite; no file either way
            pass
    assert os.listdir(tmp_path) == []
