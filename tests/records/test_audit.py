"""Hash-chained audit log: verify passes, and fails after an edit, insertion or deletion (both DBs)."""

from sqlalchemy import delete, update

from hegui.records import audit
from hegui.storage.models import AuditEntry


def _fill(services, n=5):
    with services.db.session() as s:
        for i in range(n):
            audit.append(s, "admin:alice", "case.resolved", f"case:{i}", {"note": f"处理完毕 {i}"})


def test_chain_verifies(make_services, db_url):
    sv = make_services(db_url=db_url)
    _fill(sv)
    with sv.db.session() as s:
        r = audit.verify(s)
    assert r.ok and r.entries == 5 and len(r.head) == 64


def test_edit_detected(make_services, db_url):
    sv = make_services(db_url=db_url)
    _fill(sv)
    with sv.db.session() as s:
        s.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(actor="admin:mallory"))
    with sv.db.session() as s:
        r = audit.verify(s)
    assert not r.ok and any("seq 3" in p and "altered" in p for p in r.problems)


def test_delete_detected(make_services, db_url):
    sv = make_services(db_url=db_url)
    _fill(sv)
    with sv.db.session() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    with sv.db.session() as s:
        r = audit.verify(s)
    assert not r.ok and any("missing" in p for p in r.problems)


def test_insert_detected(make_services, db_url):
    sv = make_services(db_url=db_url)
    _fill(sv)
    with sv.db.session() as s:
        s.execute(update(AuditEntry).where(AuditEntry.seq >= 3).values(seq=AuditEntry.seq + 100))
        first = s.get(AuditEntry, 1)
        s.add(AuditEntry(seq=3, at=first.at, actor="x", action="forged", target="", detail={},
                         prev_hash=s.get(AuditEntry, 2).hash, hash="0" * 64))
    with sv.db.session() as s:
        r = audit.verify(s)
    assert not r.ok


def test_cli_verify_and_tamper(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from hegui.cli.main import app
    cfg = tmp_path / "hegui.toml"
    cfg.write_text(f'var_dir = "{tmp_path}/var"\n[storage]\nurl = "sqlite:///{tmp_path}/var/h.db"\n', encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["admin", "create", "alice", "--role", "reviewer", "-c", str(cfg)]).exit_code == 0
    ok = runner.invoke(app, ["audit", "verify", "-c", str(cfg)])
    assert ok.exit_code == 0 and "audit log OK" in ok.output
    import sqlite3
    con = sqlite3.connect(tmp_path / "var" / "h.db")
    con.execute("UPDATE audit_log SET detail='{\"role\": \"admin\"}' WHERE seq=1")
    con.commit()
    con.close()
    bad = runner.invoke(app, ["audit", "verify", "-c", str(cfg)])
    assert bad.exit_code == 1 and "TAMPERED" in bad.output
