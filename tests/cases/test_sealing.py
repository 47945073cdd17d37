"""Complaint text, contact and evidence are sealed at rest (PIPL Arts 28, 51), on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import stat

import pytest
from PIL import Image
from sqlalchemy import select

from hegui.cases import sealing
from hegui.cases.models import Case, CaseEvidence
from hegui.storage.all_models import load_all

SECRET_TEXT = "生成内容泄露了我的住址 secret-text-9K"
CONTACT = "13812345678"


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buf, "PNG")
    return buf.getvalue()


def _raw_rows(gw):
    with gw.services.db.engine.connect() as conn:
        return [dict(r) for r in conn.execute(Case.__table__.select()).mappings()]


def test_text_contact_and_evidence_sealed_at_rest(gateway_factory, submit, db_url):
    gw = gateway_factory(db_url=db_url)
    png = _png()
    r = submit(gw, {"type": "rumour", "text": SECRET_TEXT, "contact": CONTACT},
               files=[("evidence", ("shot.png", png, "image/png"))])
    assert r.status_code == 303
    (row,) = _raw_rows(gw)
    assert row["text"].startswith(sealing.TEXT_PREFIX) and "secret-text" not in row["text"]
    assert row["contact"] == "1***5678"  # only a masked form in the clear
    with gw.services.db.session() as s:
        case = s.scalar(select(Case))
        ev = s.scalar(select(CaseEvidence))
        assert case.text == SECRET_TEXT and case.contact == CONTACT  # opened on load
        tracking, case_id = case.tracking, case.id
    stored = gw.services.settings.var_dir + f"/evidence/{case_id}/{ev.stored_as}"
    from pathlib import Path

    raw = Path(stored).read_bytes()
    assert raw.startswith(sealing.EVIDENCE_MAGIC) and png not in raw and b"PNG" not in raw
    assert stat.S_IMODE(Path(stored).stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(stored).parent.stat().st_mode) == 0o700
    desk = gw.client.app.state.case_desk
    got, data = desk.read_evidence(tracking, ev.id)
    assert data == png and got.filename == "shot.png"
    # a later change re-seals; what the session holds stays readable
    desk.note(tracking, "called back", "console:admin")
    with gw.services.db.session() as s:
        case = s.scalar(select(Case))
        case.text = case.text + " (updated)"
    assert _raw_rows(gw)[0]["text"].startswith(sealing.TEXT_PREFIX)
    with gw.services.db.session() as s:
        assert s.scalar(select(Case)).text == SECRET_TEXT + " (updated)"


def test_replaced_evidence_file_is_refused(gateway, submit):
    r = submit(gateway, {"type": "other", "text": "with a picture"}, files=[("evidence", ("a.png", _png(), "image/png"))])
    assert r.status_code == 303
    with gateway.services.db.session() as s:
        case, ev = s.scalar(select(Case)), s.scalar(select(CaseEvidence))
    path = gateway.client.app.state.case_desk.evidence_dir / case.id / ev.stored_as
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 1
    path.write_bytes(bytes(blob))
    with pytest.raises(sealing.EvidenceUnreadable):
        gateway.client.app.state.case_desk.read_evidence(case.tracking, ev.id)


def test_case_storage_without_a_key_refuses(tmp_path):
    from hegui.cases.calendar import load_calendar
    from hegui.cases.config import load_config
    from hegui.cases.intake import submit
    from hegui.storage.db import Database

    db = Database(f"sqlite:///{tmp_path}/x.db")
    load_all().metadata.create_all(db.engine)
    with pytest.raises(sealing.CaseKeysMissing):
        with db.session() as s:
            submit(s, load_config(), load_calendar(None), tmp_path / "ev", case_type="other", text="hello there")
    with db.engine.connect() as conn:
        assert list(conn.execute(Case.__table__.select())) == []
    db.dispose()


def test_plain_rows_of_earlier_versions_are_sealed_by_upgrade(gateway):
    import datetime as dt

    with gateway.services.db.engine.begin() as conn:  # what an earlier hegui wrote: no ORM, no sealing
        conn.execute(Case.__table__.insert(), {"id": "c" * 32, "tracking": "HG20260101-OLD", "type": "other",
                                               "status": "received", "channel": "web", "lang": "zh",
                                               "text": SECRET_TEXT, "contact": CONTACT, "result": {},
                                               "received_on": dt.date(2026, 1, 1),
                                               "created_at": dt.datetime.now(dt.timezone.utc)})
    with gateway.services.db.session() as s:
        assert s.get(Case, "c" * 32).text == SECRET_TEXT  # still readable
        assert sealing.seal_legacy(s, Case) == 1
    (row,) = _raw_rows(gateway)
    assert row["text"].startswith(sealing.TEXT_PREFIX) and row["contact"] == "1***5678"
    with gateway.services.db.session() as s:
        case = s.get(Case, "c" * 32)
        assert (case.text, case.contact) == (SECRET_TEXT, CONTACT)
