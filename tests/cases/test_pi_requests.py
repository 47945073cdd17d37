"""Personal-information requests executed by the system (PIPL Arts 44–47), on SQLite and PostgreSQL.

The deletion test walks every table and every column of the schema afterwards and finds nothing
of the erased user.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select

from hegui.cases.errors import SubjectNotFound
from hegui.cases.models import Case, PiChange
from hegui.codes import id_card_check_digit
from hegui.storage.all_models import load_all
from hegui.storage.models import AuditEntry, EndUser, ReviewItem, UsageContent

SECRET_PROMPT = "我的秘密提示词 alpha-7Q"


def _case(gw, case_type: str, account: str, text: str = "please act on my data") -> str:
    desk = gw.client.app.state.case_desk
    case = desk.submit(case_type=case_type, text=f"{text} ({account})", account=account, channel="console",
                       actor="console:admin")
    desk.transition(case.tracking, "triaged", "console:admin", "identity verified by phone call")
    return case.tracking


def _id_number(name: str) -> str:
    first17 = "11010519900307" + f"{sum(map(ord, name)) % 1000:03d}"
    return first17 + id_card_check_digit(first17)


def _populate(gw, name: str) -> dict:
    gw.verified_user(name, id_number=_id_number(name))
    r = gw.chat(f"/echo {SECRET_PROMPT}", user=name)
    assert r.status_code == 200
    img = gw.post("/v1/images/generations", {"model": "hegui-demo-image", "prompt": "secret picture",
                                             "user": name, "response_format": "url"})
    assert img.status_code == 200, img.text
    assert gw.chat("forbidden-term please", user=name).status_code == 200
    desk = gw.client.app.state.case_desk
    with gw.services.db.session() as s:
        user = s.scalar(select(EndUser).where(EndUser.external_id == name))
        s.add(ReviewItem(user_id=user.id, direction="output", risks=[{"id": "A1f"}],
                         text_enc=gw.services.keys.seal(SECRET_PROMPT, b"review")))
        uid, id_hmac, id_masked = user.id, user.id_hmac, user.id_masked
    desk.sanction(uid, "warn", "warned before deletion", "console:admin")
    try:  # another duty's table that names the user (labeling: unlabelled-export log)
        from hegui.labeling.models import UnlabelledExport
    except ImportError:
        UnlabelledExport = None
    if UnlabelledExport is not None:
        import datetime as dt

        with gw.services.db.session() as s:
            s.add(UnlabelledExport(user_id=uid, content_id="hgc-x", recipient="partner platform",
                                   agreement_covers=True, retain_until=dt.datetime(2027, 6, 1)))
    tracking = _case(gw, "pi_supplement", name)
    desk.execute_pi(tracking, "console:admin", "phone", "13800138000")
    with gw.services.db.session() as s:
        user = s.get(EndUser, uid)
        phone_hmac, phone_masked = user.phone_hmac, user.phone_masked
    return {"uid": uid, "ext": name, "id_hmac": id_hmac, "id_masked": id_masked, "phone_hmac": phone_hmac,
            "phone_masked": phone_masked, "id_number": _id_number(name), "phone": "13800138000",
            "prompt": SECRET_PROMPT, "image": img.json()["data"][0]["url"]}


def _walk(gw, needles: dict[str, str], skip: set[tuple[str, str]] = frozenset()) -> list[str]:
    """Every table, every column, every row: which needles still occur?"""
    found = []
    meta = load_all().metadata
    with gw.services.db.engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(table.select()).mappings():
                for col, value in row.items():
                    if value is None:
                        continue
                    if isinstance(value, (bytes, bytearray, memoryview)):
                        hay = bytes(value).decode("latin-1")
                    elif isinstance(value, (dict, list)):
                        hay = json.dumps(value, ensure_ascii=False)
                    else:
                        hay = str(value)
                    for label, needle in needles.items():
                        if needle and needle in hay and (table.name, label) not in skip:
                            found.append(f"{table.name}.{col} contains {label}")
    return found


def test_delete_erases_the_user_everywhere(gateway_factory, db_url):
    gw = gateway_factory(db_url=db_url)
    facts = _populate(gw, "erase-me")
    assert _walk(gw, {"ext": facts["ext"], "id_masked": facts["id_masked"]})  # the walk does find data before
    tracking = _case(gw, "pi_delete", "erase-me", "请删除我的全部个人信息")
    result = gw.client.app.state.case_desk.execute_pi(tracking, "console:admin")
    # the hand-made item and the refused "forbidden-term" input (refusals are queued for review)
    assert result["usage_content"] >= 2 and result["review_queue"] == 2
    needles = {k: v for k, v in facts.items() if k != "image"}
    # The gateway's own user-registration audit entries (lead's code) name users as "user:<internal id>":
    # that id no longer maps to anyone once the row is gone; every other value must be absent everywhere.
    leftovers = _walk(gw, needles, skip={("audit_log", "uid")})
    assert leftovers == []
    url = facts["image"]
    assert gw.client.get(url[url.index("/v1/outputs/"):], headers=gw.headers).status_code == 404
    assert not list(gw.services.outputs_dir.glob("*"))
    with gw.services.db.session() as s:
        case = s.scalar(select(Case).where(Case.tracking == tracking))
        assert case.status == "resolved" and case.subject_user.startswith("erased-")
        assert "erase-me" not in case.text
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "pi.erased")).target.startswith("user#")
    # the erased user is unknown to the gateway now
    assert gw.chat("hello", user="erase-me").status_code == 403


def test_delete_leaves_no_internal_id_in_the_audit_log(gateway):
    facts = _populate(gateway, "erase-strict")
    tracking = _case(gateway, "pi_delete", "erase-strict")
    gateway.client.app.state.case_desk.execute_pi(tracking, "console:admin")
    assert _walk(gateway, {"uid": facts["uid"]}) == []


def test_access_archive_has_json_and_csv(gateway):
    facts = _populate(gateway, "reader")
    tracking = _case(gateway, "pi_copy", "reader")
    desk = gateway.client.app.state.case_desk
    result = desk.execute_pi(tracking, "console:admin")
    data = (desk.exports_dir / result["archive"]).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        doc = json.loads(z.read("data.json"))
        csv_text = z.read("records.csv").decode("utf-8-sig")
    assert doc["user"]["external_id"] == "reader" and doc["user"]["id_masked"] == facts["id_masked"]
    assert any(r["prompt"].endswith(SECRET_PROMPT) for r in doc["records"])
    assert doc["corrections"][0]["field"] == "phone"
    assert SECRET_PROMPT in csv_text and "content_id" in csv_text.splitlines()[0]
    assert facts["id_hmac"] not in json.dumps(doc)
    # the complainant downloads it from the status page once feedback is sent
    assert gateway.client.get(f"/complaints/status/{tracking}/archive").status_code == 404
    desk.transition(tracking, "feedback_sent", "console:admin", "您的个人信息副本已生成，请下载。")
    r = gateway.client.get(f"/complaints/status/{tracking}/archive")
    assert r.status_code == 200 and r.content == data


def test_correct_keeps_masked_history(gateway):
    gateway.verified_user("fixer")
    desk = gateway.client.app.state.case_desk
    t1 = _case(gateway, "pi_supplement", "fixer")
    desk.execute_pi(t1, "console:admin", "phone", "13800138000")
    t2 = _case(gateway, "pi_correct", "fixer")
    desk.execute_pi(t2, "console:admin", "phone", "13900139000")
    with gateway.services.db.session() as s:
        rows = list(s.scalars(select(PiChange).order_by(PiChange.at)))
        assert [(r.old_masked, r.new_masked) for r in rows] == [(None, "138****8000"), ("138****8000", "139****9000")]
        user = s.scalar(select(EndUser).where(EndUser.external_id == "fixer"))
        assert user.phone_masked == "139****9000"
        assert user.phone_hmac == gateway.services.keys.pseudonym("13900139000", "phone")
    t3 = _case(gateway, "pi_correct", "fixer")
    from hegui.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        desk.execute_pi(t3, "console:admin", "phone", "12345")
    with gateway.services.db.session() as s:
        assert s.scalar(select(Case.status).where(Case.tracking == t3)) == "triaged"  # nothing half-done


def test_withdraw_consent_sets_flags_and_stops_processing(gateway):
    gateway.verified_user("quitter")
    assert gateway.chat("hello", user="quitter").status_code == 200
    tracking = _case(gateway, "pi_withdraw", "quitter")
    gateway.client.app.state.case_desk.execute_pi(tracking, "console:admin")
    with gateway.services.db.session() as s:
        user = s.scalar(select(EndUser).where(EndUser.external_id == "quitter"))
        assert user.training_opt_out and user.processing_stopped
        assert all(not c.training_allowed for c in s.scalars(select(UsageContent).where(UsageContent.user_id == user.id)))
    assert gateway.chat("hello again", user="quitter").status_code == 403


def test_deletion_for_unknown_user_is_a_clear_error_and_changes_nothing(gateway):
    desk = gateway.client.app.state.case_desk
    tracking = _case(gateway, "pi_delete", "nobody-here")
    with gateway.services.db.session() as s:
        before = s.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
    with pytest.raises(SubjectNotFound) as e:
        desk.execute_pi(tracking, "console:admin")
    assert "nothing was done" in e.value.message("en") and "未执行" in e.value.message("zh")
    with gateway.services.db.session() as s:
        assert s.scalar(select(Case.status).where(Case.tracking == tracking)) == "triaged"
        assert s.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1)) == before


def test_execute_needs_triage(gateway):
    gateway.verified_user("early")
    desk = gateway.client.app.state.case_desk
    case = desk.submit(case_type="pi_delete", text="delete me now", account="early", channel="web")
    from hegui.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        desk.execute_pi(case.tracking, "console:admin")
    with gateway.services.db.session() as s:
        assert s.scalar(select(EndUser).where(EndUser.external_id == "early")) is not None


def _archive(gw, name: str) -> tuple[str, object]:
    _populate(gw, name)
    tracking = _case(gw, "pi_copy", name)
    desk = gw.client.app.state.case_desk
    result = desk.execute_pi(tracking, "console:admin")
    desk.transition(tracking, "feedback_sent", "console:admin", "您的个人信息副本已生成，请下载。")
    return tracking, desk.exports_dir / result["archive"]


def test_archive_is_private_and_removed_when_the_user_is_erased(gateway_factory, db_url):
    import stat

    gw = gateway_factory(db_url=db_url)
    tracking, path = _archive(gw, "copy-then-erase")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert gw.client.get(f"/complaints/status/{tracking}/archive").status_code == 200
    assert f"/complaints/status/{tracking}/archive" in gw.client.get(f"/complaints/status/{tracking}").text
    erase = _case(gw, "pi_delete", "copy-then-erase")
    result = gw.client.app.state.case_desk.execute_pi(erase, "console:admin")
    assert result["pi_exports"] == 1 and not path.exists()
    r = gw.client.get(f"/complaints/status/{tracking}/archive")
    assert r.status_code == 404
    assert f"/complaints/status/{tracking}/archive" not in gw.client.get(f"/complaints/status/{tracking}").text


def test_archive_expires_and_the_retention_job_removes_it(gateway):
    import datetime as dt

    from hegui.records.retention import purge

    tracking, path = _archive(gateway, "copy-expires")
    days = gateway.client.app.state.case_desk.config.pi_export_days
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days - 1)
    assert purge(gateway.services.db, gateway.services.settings.retention, now=soon).pi_exports == 0
    assert path.exists()
    later = soon + dt.timedelta(days=2)
    report = purge(gateway.services.db, gateway.services.settings.retention, now=later)
    assert report.pi_exports == 1 and not path.exists()
    r = gateway.client.get(f"/complaints/status/{tracking}/archive")
    assert r.status_code == 404 and "PI_ARCHIVE_EXPIRED" in r.text
    with gateway.services.db.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "retention.purge")
                          .order_by(AuditEntry.seq.desc())).first()
        assert entry.detail["pi_exports"] == 1


def test_expired_archive_is_not_served_before_the_job_runs(gateway):
    import os
    import time

    tracking, path = _archive(gateway, "copy-stale")
    days = gateway.client.app.state.case_desk.config.pi_export_days
    old = time.time() - (days + 1) * 86400
    os.utime(path, (old, old))
    assert gateway.client.get(f"/complaints/status/{tracking}/archive").status_code == 404
    assert not path.exists()
