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
        cal.add_working_days(D(2026, 12, 20), 15)


def test_startup_check(cal):
    assert "2027" in cal.startup_check(D(2027, 3, 1))[0]  # current year not covered
    assert "2027" in cal.startup_check(D(2026, 11, 23))[0]  # next year missing from November
    assert cal.startup_check(D(2025, 6, 1)) == []


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
