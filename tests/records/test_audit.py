"""Hash-chained audit log: verify passes, and fails after an edit, insertion or deletion (both DBs)."""

import stat

from sqlalchemy import delete, func, select, update

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


# -- anchored chain: keyed MAC, genesis, head checkpoint outside the database ----------------------

def _verify(services):
    with services.db.session() as s:
        return audit.verify(s)


def _checkpoint(services):
    return services.db.info[audit.ANCHOR_INFO].checkpoint


def test_tail_truncation_detected(make_services, db_url):
    sv = make_services(db_url=db_url)
    _fill(sv)
    with sv.db.session() as s:
        last = s.scalar(select(func.max(AuditEntry.seq)))
        s.execute(delete(AuditEntry).where(AuditEntry.seq >= last - 1))
    r = _verify(sv)
    assert not r.ok and any(f"entries after seq {last - 2} deleted" in p for p in r.problems), r.problems


def test_head_deletion_detected(make_services, db_url):
    sv = make_services(db_url=db_url)
    _fill(sv)
    with sv.db.session() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.seq <= 2))
    r = _verify(sv)
    assert not r.ok and any("first entry is seq 3" in p for p in r.problems), r.problems


def test_all_rows_deleted_detected(make_services, db_url):
    sv = make_services(db_url=db_url)
    _fill(sv)
    with sv.db.session() as s:
        s.execute(delete(AuditEntry))
    r = _verify(sv)
    assert not r.ok and r.entries == 0 and any("all entries deleted" in p for p in r.problems), r.problems


def _rewrite_from(services, seq, key):
    """What someone with database access does: edit entry ``seq`` and recompute every hash after it."""
    with services.db.session() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.seq >= seq).order_by(AuditEntry.seq)))
        prev = s.get(AuditEntry, seq - 1).hash
        rows[0].actor = "admin:mallory"
        for e in rows:
            e.prev_hash = prev
            e.hash = audit.entry_hash(prev, e.seq, e.at, e.actor, e.action, e.target, e.detail, key=key)
            prev = e.hash


def test_edit_and_recompute_detected(make_services, db_url):
    sv = make_services(db_url=db_url)
    _fill(sv)
    for key in (None, b"an attacker's own key".ljust(32, b"!")):  # plain SHA-256, or a key not the service's
        _rewrite_from(sv, 3, key)
        r = _verify(sv)
        assert not r.ok and any("seq 3" in p and "MAC mismatch" in p for p in r.problems), r.problems
        assert not any("chain broken" in p for p in r.problems)  # the chain itself is consistent


def test_recompute_with_the_key_is_caught_by_the_checkpoint(make_services, db_url):
    # the database and the key leaked, the checkpoint file was not writable: the head differs
    sv = make_services(db_url=db_url)
    _fill(sv)
    _rewrite_from(sv, 3, sv.db.info[audit.ANCHOR_INFO].key)
    r = _verify(sv)
    assert not r.ok and any("differs from the head checkpoint" in p for p in r.problems), r.problems


def test_checkpoint_edited_or_deleted_detected(make_services, db_url):
    import json

    sv = make_services(db_url=db_url)
    _fill(sv)
    cp = _checkpoint(sv)
    data = json.loads(cp.path.read_text())
    assert data["seq"] == r_seq(sv) and stat.S_IMODE(cp.path.stat().st_mode) == 0o600
    data["seq"] -= 2  # hide the two newest entries' absence after a truncation
    cp.path.write_text(json.dumps(data))
    r = _verify(sv)
    assert not r.ok and any("checkpoint" in p and "altered" in p for p in r.problems), r.problems
    cp.path.unlink()
    r = _verify(sv)
    assert not r.ok and any("checkpoint" in p and "missing" in p for p in r.problems), r.problems


def r_seq(sv):
    with sv.db.session() as s:
        return s.scalar(select(func.max(AuditEntry.seq)))


def test_checkpoint_behind_the_database_is_tolerated(make_services, db_url):
    # another gateway process committed but has not yet moved the checkpoint (or crashed before it)
    sv = make_services(db_url=db_url)
    _fill(sv, 2)
    cp = _checkpoint(sv)
    older = cp.path.read_bytes()
    _fill(sv, 3)
    cp.path.write_bytes(older)
    r = _verify(sv)
    assert r.ok, r.problems
    assert r.checkpoint.seq == r.entries - 3


def test_checkpoint_never_moves_backwards(make_services):
    sv = make_services()
    _fill(sv, 3)
    cp = _checkpoint(sv)
    head = cp.read()
    assert cp.advance(head.seq - 1, "f" * 64) is False and cp.read() == head
    assert cp.advance(head.seq + 5, "e" * 64) is True and cp.read().seq == head.seq + 5


def test_rolled_back_append_does_not_move_the_checkpoint(make_services, db_url):
    import pytest

    sv = make_services(db_url=db_url)
    _fill(sv, 2)
    before = _checkpoint(sv).read()
    with pytest.raises(RuntimeError):
        with sv.db.session() as s:
            audit.append(s, "admin:alice", "case.resolved", "case:x")
            raise RuntimeError("the action failed")
    assert _checkpoint(sv).read() == before and _verify(sv).ok


def test_concurrent_appends_keep_chain_and_checkpoint(make_services, db_url):
    import threading

    sv = make_services(db_url=db_url)
    errors = []

    def work(i):
        try:
            for n in range(5):
                with sv.db.session() as s:
                    audit.append(s, f"admin:{i}", "case.note", f"case:{i}-{n}")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    r = _verify(sv)
    assert r.ok, r.problems
    assert _checkpoint(sv).read().seq == r_seq(sv)


def test_head_sink_receives_each_committed_head(make_services):
    from hegui.records.protection import protect

    sv = make_services()
    seen = []
    protect(sv.db, sv.keys, sv.settings.var_dir, sinks=[lambda seq, h: seen.append((seq, h))])
    _fill(sv, 2)
    assert seen and seen[-1] == (r_seq(sv), _verify(sv).head)


def test_unbound_database_refuses_to_write_or_verify(tmp_path):
    import pytest

    from hegui.storage.all_models import load_all
    from hegui.storage.db import Database

    db = Database(f"sqlite:///{tmp_path}/x.db")
    load_all().metadata.create_all(db.engine)
    with pytest.raises(audit.AuditKeyMissing):
        with db.session() as s:
            audit.append(s, "x", "y")
    with db.session() as s:
        r = audit.verify(s)
    db.dispose()
    assert not r.ok and "AUDIT" not in r.problems[0] and "protect" in r.problems[0]


def test_anchor_accepts_a_legacy_unkeyed_chain_and_keys_it_from_then_on(make_services):
    sv = make_services()
    _fill(sv, 3)
    with sv.db.session() as s:  # an audit log written by an earlier hegui: plain SHA-256, no checkpoint
        prev = audit.GENESIS
        for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
            e.prev_hash = prev
            e.hash = audit.entry_hash(prev, e.seq, e.at, e.actor, e.action, e.target, e.detail, key=None)
            prev = e.hash
    _checkpoint(sv).path.unlink()
    assert not _verify(sv).ok
    with sv.db.session() as s:
        head = audit.anchor_existing(s, "cli")
    assert head.keyed_from == head.seq + 1
    r = _verify(sv)
    assert r.ok and r.checkpoint.seq == r.entries == head.seq + 1, r.problems
    # the legacy part is still bound by the keyed entry after it: a recomputed edit is caught
    _rewrite_from(sv, 2, None)
    assert not _verify(sv).ok
