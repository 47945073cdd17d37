"""Provisional deadlines for a year the holiday calendar lacks, and the operator's import of the
official arrangement (validated, atomic, merged over the shipped file, deadlines recomputed).

The 2027 file below is a TEST-ONLY fixture with made-up dates (Spring Festival in March, a
"bridge" holiday on 4–5 January, a make-up Saturday on 9 January). It is NOT the State Council's
2027 arrangement and must never be copied into a real calendar.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hegui.cases import calendar as calmod
from hegui.cases import report
from hegui.cases.errors import CalendarFileInvalid
from hegui.cases.models import Case, CaseEvent
from hegui.storage.models import AuditEntry

D = dt.date

TEST_ONLY_2027 = """\
# TEST-ONLY fixture: made-up dates, NOT the State Council's 2027 holiday arrangement.
version: test-only
region: CN-mainland
source: "TEST-ONLY fixture, not an official arrangement"
covered_years: [2027]
years:
  2027:
    holidays:
      - {date: 2027-01-01, name: "TEST-ONLY New Year's Day"}
      - {date: 2027-01-04, name: "TEST-ONLY New Year's Day bridge"}
      - {date: 2027-01-05, name: "TEST-ONLY New Year's Day bridge"}
      - {date: 2027-03-15, name: "TEST-ONLY Spring Festival"}
      - {date: 2027-04-05, name: "TEST-ONLY Tomb-sweeping Day"}
      - {date: 2027-05-01, name: "TEST-ONLY Labour Day"}
      - {date: 2027-06-14, name: "TEST-ONLY Dragon Boat Festival"}
      - {date: 2027-09-13, name: "TEST-ONLY Mid-autumn Festival"}
      - {date: 2027-10-01, name: "TEST-ONLY National Day"}
      - {date: 2027-10-02, name: "TEST-ONLY National Day"}
      - {date: 2027-10-03, name: "TEST-ONLY National Day"}
    workdays:
      - {date: 2027-01-09, name: "TEST-ONLY make-up day"}
"""


def _at(monkeypatch, when: dt.datetime) -> None:
    """Pretend it is ``when`` in Beijing (the intake and the desk read the clock through datetime)."""
    from hegui.cases import intake

    class Fixed(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return when.replace(tzinfo=tz) if tz else when

    monkeypatch.setattr(intake.dt, "datetime", Fixed)


def _fixture(tmp_path, text: str = TEST_ONLY_2027, name: str = "arrangement-2027.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_case_filed_2026_12_20_is_provisional_then_recomputed_after_import(gateway, monkeypatch, tmp_path):
    desk = gateway.client.app.state.case_desk
    sv = gateway.services
    _at(monkeypatch, dt.datetime(2026, 12, 20, 10, 0))
    case = desk.submit(case_type="pi_access", text="please send me my data", account="someone", channel="web")
    early = desk.submit(case_type="pi_access", text="an earlier request", account="someone", channel="web")
    # Sun 20 Dec 2026 + 15: 21–25, 28–31 Dec (9), then 2027 weekdays with no holiday assumed: 1, 4–8 Jan
    assert case.due_on == D(2027, 1, 8)
    assert case.due_provisional and case.provisional_years == [2027]
    with sv.db.session() as s:
        stored = s.get(Case, case.id)
        assert stored.due_provisional and stored.result["deadline"]["rule"] == "weekends_only"
        ev = s.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id))
        assert "PROVISIONAL" in ev.note and "暂定" in ev.note
        received = s.scalar(select(AuditEntry).where(AuditEntry.action == "case.received",
                                                     AuditEntry.target == f"case:{case.tracking}"))
        assert received.detail["due_provisional"] is True
        s.get(Case, early.id).received_on = D(2026, 12, 1)  # + 15 → 22 Dec 2026, fully covered
        s.get(Case, early.id).result = {"deadline": {"provisional": False}}
        s.get(Case, early.id).due_on = D(2026, 12, 22)

    # complainant status page (zh and en) and the API say so
    page_en = gateway.client.get(f"/complaints/status/{case.tracking}?lang=en").text
    assert "2027-01-08" in page_en and "provisional" in page_en and 'id="due-provisional"' in page_en
    page_zh = gateway.client.get(f"/complaints/status/{case.tracking}?lang=zh").text
    assert "暂定" in page_zh and "2027 年的法定节假日安排尚未录入" in page_zh
    api = gateway.client.get(f"/v1/hegui/cases/{case.tracking}", headers=gateway.headers).json()
    assert api["due_on"] == "2027-01-08" and api["due_provisional"] is True

    # console list and detail
    from tests.console.conftest import Console

    c = Console(gateway).login("admin")
    listing = c.get("/console/cases?lang=en").text
    row = listing[listing.index(case.tracking):].split("</tr>")[0]
    assert "provisional" in row and "2027" in row
    detail = c.get(f"/console/cases/{case.tracking}?lang=zh").text
    assert 'id="due-provisional"' in detail and "hegui cases calendar import" in detail and "暂定" in detail

    # alerts: on Wed 6 Jan 2027 two working days are left (weekend-only rule) → due soon, flagged
    _at(monkeypatch, dt.datetime(2027, 1, 6, 9, 0))
    items = {a.case.tracking: a for a in desk.alerts()}
    assert items[case.tracking].kind == "due_soon" and items[case.tracking].provisional
    assert items[case.tracking].working_days_left == 2
    seen = []
    desk.config = desk.config.model_copy(update={"webhook_url": "https://hooks.example/alerts"})
    client = httpx.Client(transport=httpx.MockTransport(lambda r: seen.append(json.loads(r.content))
                                                        or httpx.Response(200)))
    desk.send_alerts(client=client)
    sent = {a["tracking"]: a for a in seen[0]["alerts"]}
    assert sent[case.tracking]["provisional"] is True and "暂定" in sent[case.tracking]["note"]
    c = Console(gateway).login("admin")  # the clock moved a month on: the earlier session has expired
    dash = c.get("/console?lang=en").text
    assert "provisional" in dash[dash.index('id="alerts"'):]

    # regulator report
    with sv.db.session() as s:
        rep = report.collect(s, desk.config, sv.keys, D(2026, 11, 1), D(2027, 12, 31))
    row = next(r for r in rep.cases if r["编号 tracking"] == case.tracking)
    assert row["期限依据 deadline basis"].startswith("暂定") and "2027" in row["期限依据 deadline basis"]
    assert "provisional" in report.to_csv(rep).decode("utf-8-sig")

    # the operator imports the year's arrangement (here: the TEST-ONLY fixture) → recomputed
    done = calmod.import_file(_fixture(tmp_path), sv.settings.var_dir)
    assert done.years == (2027,) and (calmod.operator_dir(sv.settings.var_dir) / "2027.yaml").exists()
    assert 2027 in desk.calendar.years  # the running desk picks the new file up without a restart
    changes = desk.recompute_deadlines("test:import", imported={"years": [2027], "source": done.source})
    assert [(ch.tracking, ch.new_due, ch.provisional) for ch in changes] == [(case.tracking, D(2027, 1, 12), False)]
    with sv.db.session() as s:
        got = s.get(Case, case.id)
        # 21–25, 28–31 Dec (9); 1, 4, 5 Jan off; 6, 7, 8 (12); Sat 9 Jan make-up (13); 11 (14), 12 (15)
        assert got.due_on == D(2027, 1, 12) and not got.due_provisional and got.alerted is None
        assert s.get(Case, early.id).due_on == D(2026, 12, 22)  # covered cases untouched
        entries = {a.action: a for a in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))}
        rec = entries["case.deadline_recomputed"]
        assert rec.target == f"case:{case.tracking}" and rec.detail["from"] == "2027-01-08"
        assert rec.detail["to"] == "2027-01-12" and rec.detail["provisional"] is False
        assert entries["calendar.imported"].detail["years"] == [2027]
        from hegui.records import audit

        assert audit.verify(s).ok
    assert desk.recompute_deadlines("test:again") == []  # idempotent
    page_en = gateway.client.get(f"/complaints/status/{case.tracking}?lang=en").text
    assert "2027-01-12" in page_en and 'id="due-provisional"' not in page_en
    # new cases now get official 2027 deadlines; no startup warning about 2027 any more
    assert not desk.calendar.deadline(D(2026, 12, 20), 15).provisional
    assert not any("2027" in n for n in desk.check_calendar(D(2026, 11, 29)))


def test_obligations_register_says_met_but_provisional(gateway, monkeypatch, tmp_path):
    from hegui.obligations.register import CHECKS, Status

    sv = gateway.services
    _at(monkeypatch, dt.datetime(2026, 11, 29, 9, 0))
    found = CHECKS["complaints"](sv)
    assert found.status is Status.MET
    assert "met, provisional for 2027" in found.reason_en and "2027 年期限为暂定" in found.reason_zh
    assert "hegui cases calendar import" in found.reason_en
    calmod.import_file(_fixture(tmp_path), sv.settings.var_dir)
    found = CHECKS["complaints"](sv)
    assert found.status is Status.MET and "provisional" not in found.reason_en


def test_startup_warning_names_the_period_and_the_fix(gateway, monkeypatch):
    desk = gateway.client.app.state.case_desk
    notes = desk.check_calendar(D(2026, 11, 29))
    assert len(notes) == 1
    zh, en = notes[0].split(" / ", 1)
    assert "2026-12-11" in zh and "暂定" in zh and "hegui cases calendar import" in zh
    assert "2026-12-11" in en and "provisional" in en and "hegui cases calendar import" in en
    assert "\n" not in notes[0] and len(en) < 200 and "docs/cases.md" in en  # one concise line
    from tests.console.conftest import Console

    desk.calendar_notes = notes
    assert "2026-12-11" in Console(gateway).login("admin").get("/console").text


def _problems(tmp_path, text: str) -> str:
    p = _fixture(tmp_path, text, "bad.yaml")
    with pytest.raises(CalendarFileInvalid) as e:
        calmod.import_file(p, tmp_path / "var")
    assert not (tmp_path / "var" / "calendar").exists() or not list((tmp_path / "var" / "calendar").iterdir())
    msg = e.value.message("en")
    zh = e.value.message("zh")
    assert zh.startswith(str(p) + ":") and zh.count("\n") == msg.count("\n")  # same problems, in Chinese
    assert e.value.code == "CALENDAR_FILE_INVALID"
    return msg


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("edit,needle,expect", [
    # a make-up working day on a weekday (Mon 2027-01-11)
    (lambda t: t.replace("2027-01-09, name: \"TEST-ONLY make-up day\"", "2027-01-11, name: \"TEST-ONLY make-up day\""),
     "2027-01-11", "make-up working day 2027-01-11 is not a weekend day"),
    # an impossible date
    (lambda t: t.replace("2027-03-15", "2027-02-30"), "2027-02-30", "'2027-02-30' is not a valid date"),
    # a date of another year under 2027
    (lambda t: t.replace("2027-06-14", "2026-06-14"), "2026-06-14", "2026-06-14 is listed under 2027"),
    # the same day twice
    (lambda t: t.replace("2027-09-13", "2027-06-14"), "TEST-ONLY Mid-autumn", "holiday 2027-06-14 listed twice"),
    # a typo that would silently drop the make-up days
    (lambda t: t.replace("    workdays:", "    workday:"), "workday:", "2027: unknown key 'workday'"),
    # a holiday without a name
    (lambda t: t.replace(', name: "TEST-ONLY Tomb-sweeping Day"', ""), "2027-04-05", "holiday 2027-04-05 has no name"),
])
def test_invalid_import_files_are_rejected_with_file_and_line(tmp_path, edit, needle, expect):
    text = edit(TEST_ONLY_2027)
    msg = _problems(tmp_path, text)
    assert f"bad.yaml:{_line_of(text, needle)}: {expect}" in msg, msg


def test_incomplete_or_inconsistent_files_are_rejected(tmp_path):
    # National Day missing: incomplete (reported at the holidays list)
    text = "\n".join(line for line in TEST_ONLY_2027.splitlines() if "National Day" not in line) + "\n"
    msg = _problems(tmp_path, text)
    line = _line_of(text, "holidays:")
    assert f"bad.yaml:{line}: 2027: incomplete — 2027-10-01 (a statutory holiday) is not listed" in msg
    assert "no holiday named for National Day" in msg
    # covered year without data, a year not in covered_years, no source, wrong region
    text = TEST_ONLY_2027.replace("covered_years: [2027]", "covered_years: [2027, 2028]")
    assert re.search(r"bad\.yaml:\d+: covered year 2028 has no entry under years", _problems(tmp_path, text))
    text = TEST_ONLY_2027.replace("covered_years: [2027]", "covered_years: [2028]")
    assert "year 2027 is listed under years but not in covered_years" in _problems(tmp_path, text)
    text = TEST_ONLY_2027.replace('source: "TEST-ONLY fixture, not an official arrangement"\n', "")
    assert "'source' is missing" in _problems(tmp_path, text)
    text = TEST_ONLY_2027.replace("region: CN-mainland", "region: HK")
    assert f"bad.yaml:{_line_of(text, 'region')}: region must be CN-mainland" in _problems(tmp_path, text)
    # duplicate year key, YAML syntax error
    text = TEST_ONLY_2027 + "  2027:\n    holidays: []\n"
    assert re.search(r"bad\.yaml:\d+: duplicate key 2027", _problems(tmp_path, text))
    text = TEST_ONLY_2027.replace("{date: 2027-03-15,", "{date: [2027-03-15,")
    assert re.search(r"bad\.yaml:\d+: not valid YAML", _problems(tmp_path, text))
    # more make-up days than weekday holidays
    extra = "".join(f"      - {{date: {d}, name: x}}\n" for d in
                    ("2027-01-16", "2027-01-17", "2027-01-23", "2027-01-24", "2027-01-30", "2027-01-31",
                     "2027-02-06", "2027-02-07"))
    assert "make-up days only replace weekdays taken off" in _problems(tmp_path, TEST_ONLY_2027 + extra)


def test_operator_file_wins_per_year_and_broken_files_do_not_stop_the_gateway(tmp_path):
    var = tmp_path / "var"
    calmod.import_file(_fixture(tmp_path), var)
    cal = calmod.load_calendar(var)
    assert {2024, 2025, 2026, 2027} <= cal.years
    assert {s.year: s.origin for s in cal.sources}[2027] == "operator"
    assert cal.is_working_day(D(2027, 1, 9)) and not cal.is_working_day(D(2027, 1, 4))
    # covered years still skip holidays and count make-up days exactly as before
    assert cal.add_working_days(D(2026, 9, 28), 15) == D(2026, 10, 23)
    assert cal.add_working_days(D(2025, 1, 24), 1) == D(2025, 1, 26)
    # a hand-edited broken file is skipped with a zh/en warning (strict loading refuses it)
    (var / "calendar" / "zz-manual.yaml").write_text("covered_years: [2028]\nyears: {2028: {holidays: []}}\n",
                                                    encoding="utf-8")
    cal = calmod.load_calendar(var)
    assert 2028 not in cal.years and 2027 in cal.years
    assert any("zz-manual.yaml" in p and "已跳过" in p for p in cal.startup_check(D(2027, 6, 1)))
    with pytest.raises(CalendarFileInvalid):
        calmod.load_calendar(var, strict=True)
    # a second operator file for the same year is refused at import, skipped at load
    (var / "calendar" / "zz-manual.yaml").write_text(TEST_ONLY_2027, encoding="utf-8")
    assert any("already imported" in p for p in calmod.load_calendar(var).problems)
    with pytest.raises(CalendarFileInvalid, match="also covers"):
        calmod.import_file(_fixture(tmp_path), var)


def test_cli_import_show_and_deadline(tmp_path, monkeypatch):
    from hegui.cli.cases import app

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    bad = _fixture(tmp_path, TEST_ONLY_2027.replace("2027-01-09", "2027-01-11"), "bad.yaml")
    r = runner.invoke(app, ["calendar", "import", str(bad)])
    assert r.exit_code == 2 and f"bad.yaml:{_line_of(TEST_ONLY_2027, '2027-01-09')}:" in r.output
    assert not (tmp_path / "var" / "calendar").exists()
    good = _fixture(tmp_path)
    r = runner.invoke(app, ["calendar", "import", str(good), "--dry-run"])
    assert r.exit_code == 0 and "valid" in r.output and not (tmp_path / "var" / "calendar").exists()
    r = runner.invoke(app, ["calendar", "import", str(good)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "var" / "calendar" / "2027.yaml").exists() and "recomputed 0 deadlines" in r.output
    r = runner.invoke(app, ["calendar", "show"])
    assert r.exit_code == 0 and "2027" in r.output and "operator" in r.output
    r = runner.invoke(app, ["calendar", "--year", "2027"])
    assert r.exit_code == 0
    r = runner.invoke(app, ["deadline", "pi_delete", "--received", "2026-12-20"])
    assert "2027-01-12" in r.output and "PROVISIONAL" not in r.output
    r = runner.invoke(app, ["calendar", "recompute"])
    assert r.exit_code == 0, r.output
