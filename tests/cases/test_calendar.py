"""Working days on the mainland calendar: holidays skipped, make-up working days counted."""

from __future__ import annotations

import datetime as dt

import pytest

from hegui.cases.calendar import WorkingCalendar, default_calendar
from hegui.cases.errors import CalendarNotCovered

D = dt.date


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return default_calendar()


def test_covers_2024_to_2026_and_says_2027_is_not(cal):
    assert {2024, 2025, 2026} <= cal.years
    with pytest.raises(CalendarNotCovered) as e:
        cal.is_working_day(D(2027, 1, 4))
    assert "2027" in e.value.message("en") and "2027" in e.value.message("zh")


@pytest.mark.parametrize("day,working", [
    (D(2024, 10, 1), False),   # National Day
    (D(2024, 10, 12), True),   # Saturday make-up working day
    (D(2025, 1, 26), True),    # Sunday make-up before Spring Festival 2025
    (D(2025, 1, 28), False),   # Spring Festival eve 2025 (a Tuesday)
    (D(2025, 2, 8), True),     # Saturday make-up
    (D(2026, 2, 16), False),   # Spring Festival 2026 (a Monday)
    (D(2026, 2, 14), True),    # Saturday make-up 2026
    (D(2026, 10, 10), True),   # Saturday make-up after National Day 2026
    (D(2026, 11, 21), False),  # ordinary Saturday
    (D(2026, 11, 23), True),   # ordinary Monday
])
def test_known_days(cal, day, working):
    assert cal.is_working_day(day) is working


def test_deadline_skips_national_day_and_counts_makeup_day(cal):
    # Mon 2026-09-28 + 15 working days: 29, 30 Sep; 1–7 Oct off; 8, 9 Oct; Sat 10 Oct worked; 12–16, 19–23 Oct
    assert cal.add_working_days(D(2026, 9, 28), 15) == D(2026, 10, 23)
    # the same on a naive Mon–Fri count would be 2026-10-16
    assert cal.working_days_between(D(2026, 9, 28), D(2026, 10, 23)) == 15


def test_spring_festival_2025(cal):
    # Fri 2025-01-24 + 1 working day = Sun 2025-01-26 (make-up day)
    assert cal.add_working_days(D(2025, 1, 24), 1) == D(2025, 1, 26)
    # Mon 2025-01-27 + 1 → Wed 2025-02-05 (28 Jan – 4 Feb off)
    assert cal.add_working_days(D(2025, 1, 27), 1) == D(2025, 2, 5)


def test_deadline_running_into_uncovered_year_raises(cal):
    with pytest.raises(CalendarNotCovered):
        cal.add_working_days(D(2026, 12, 20), 15)  # the strict API still refuses to guess


def test_provisional_deadline_counts_weekends_only_in_the_uncovered_year(cal):
    # Sun 2026-12-20: 21–25, 28–31 Dec (9, 2026 calendar), Fri 1 Jan 2027 counted (no holiday assumed), 4–8 Jan
    due = cal.deadline(D(2026, 12, 20), 15)
    assert due.due_on == D(2027, 1, 8) and due.provisional and due.assumed_years == (2027,)
    # a deadline that stays inside covered years is not provisional and equals the strict result
    inside = cal.deadline(D(2026, 9, 28), 15)
    assert inside.due_on == D(2026, 10, 23) and not inside.provisional
    assert cal.working_days_between(D(2026, 12, 30), D(2027, 1, 4), provisional_ok=True) == 3
    assert cal.first_provisional_receipt(2027, 15) == D(2026, 12, 11)
    assert cal.deadline(D(2026, 12, 10), 15).due_on == D(2026, 12, 31)
    assert cal.deadline(D(2026, 12, 11), 15).provisional


def test_weekend_only_rule_is_at_most_one_working_day_late_on_known_years(cal):
    """The documented edge case, measured: on 2024–2026 the weekend-only rule is never more than
    one working day later than the official calendar (a make-up day inside the period whose
    holiday is outside it), and usually earlier or equal."""
    later = 0
    d = D(2024, 1, 1)
    while d < D(2026, 11, 1):
        official = cal.add_working_days(d, 15)
        rule, left = d, 15
        while left:
            rule += dt.timedelta(days=1)
            left -= rule.weekday() < 5
        if rule > official:
            later += 1
            # the provisional date is the very next Monday–Friday after the official one
            gap = [official + dt.timedelta(days=i) for i in range(1, (rule - official).days + 1)]
            assert sum(g.weekday() < 5 for g in gap) == 1, d
            assert any(official >= w > d for w in cal.workdays), d  # caused by a make-up working day
        d += dt.timedelta(days=1)
    assert later == 67  # of 1,035 receipt dates (documented in docs/cases.md)


def test_startup_check(cal):
    assert "2027" in cal.startup_check(D(2027, 3, 1))[0]  # current year not covered
    note = cal.startup_check(D(2026, 11, 23))[0]  # next year missing from November
    assert "2027" in note and "provisional" in note and "暂定" in note
    assert "2026-12-11" in note and "hegui cases calendar import" in note
    assert cal.startup_check(D(2025, 6, 1)) == []


def test_shipped_file_passes_the_import_validation():
    from hegui.cases.calendar import parse_file, shipped_path

    doc = parse_file(shipped_path(), require_source=True)
    assert set(doc.years) == {2024, 2025, 2026}


def test_bad_calendar_file_is_refused(tmp_path):
    from hegui.errors import ConfigError

    p = tmp_path / "c.yaml"
    p.write_text("version: x\ncovered_years: [2030]\nyears:\n  2030:\n    holidays: []\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        WorkingCalendar.load(p)
    p.write_text("version: x\ncovered_years: [2030]\nyears:\n  2030:\n    holidays: [{date: 2030-01-01}]\n"
                 "    workdays: [{date: 2030-01-02}]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a weekend"):
        WorkingCalendar.load(p)
