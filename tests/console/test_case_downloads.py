"""Console downloads of case evidence (sealed at rest) and PI archives (expire; PIPL Arts 45, 47, 51)."""

from __future__ import annotations

import io
import os
import time
from urllib.parse import unquote

from PIL import Image
from sqlalchemy import select

from hegui.cases.intake import Upload
from hegui.cases.models import CaseEvidence
from hegui.cases.sealing import EVIDENCE_MAGIC
from hegui.storage.models import AuditEntry
from tests.cases.test_pi_requests import _archive


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buf, "PNG")
    return buf.getvalue()


def test_evidence_is_served_decrypted_with_a_safe_filename(console):
    desk = console.app.state.case_desk
    png = _png()
    name = '截图"; x=1.png'
    case = desk.submit(case_type="other", text="see the picture", channel="web", uploads=[Upload(name, png)])
    with console.gw.services.db.session() as s:
        ev = s.scalar(select(CaseEvidence).where(CaseEvidence.case_id == case.id))
    assert (desk.evidence_dir / case.id / ev.stored_as).read_bytes().startswith(EVIDENCE_MAGIC)
    c = console.login("reviewer")
    r = c.get(f"/console/cases/{case.tracking}/evidence/{ev.id}")
    assert r.status_code == 200 and r.content == png  # the upload, not its ciphertext
    assert r.headers["content-type"] == "application/octet-stream"
    disp = r.headers["content-disposition"]
    assert disp.startswith("attachment;") and '"; x=1' not in disp
    assert unquote(disp.split("filename*=UTF-8''", 1)[1]) == name
    with console.gw.services.db.session() as s:
        seen = s.scalars(select(AuditEntry).where(AuditEntry.action == "case.evidence_viewed")).all()
    assert [e.detail["evidence"] for e in seen] == [ev.id]
    other = desk.submit(case_type="other", text="no files", channel="web")
    assert c.get(f"/console/cases/{other.tracking}/evidence/{ev.id}").status_code == 404  # not this case's


def test_expired_archive_is_a_clear_404_not_a_500(console):
    tracking, path = _archive(console.gw, "console-copy")
    c = console.login("admin")
    r = c.get(f"/console/cases/{tracking}/archive")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    days = console.app.state.case_desk.config.pi_export_days
    old = time.time() - (days + 1) * 86400
    os.utime(path, (old, old))
    for _ in range(2):  # expired, then removed by the first refusal: the same clear answer
        r = c.get(f"/console/cases/{tracking}/archive")
        assert r.status_code == 404 and "PI_ARCHIVE_EXPIRED" in r.text
        assert "已过期" in r.text and "has expired" in r.text
        assert not path.exists()
    with console.gw.services.db.session() as s:
        n = len(s.scalars(select(AuditEntry).where(AuditEntry.action == "pi.archive_downloaded")).all())
    assert n == 1  # only the download that happened
