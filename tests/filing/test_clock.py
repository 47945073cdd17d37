"""The 10-working-day filing clock (Alg. Rec. Art 24) on the mainland calendar, and its register row."""

from __future__ import annotations

import datetime as dt

from hegui.obligations.filing import filing_clock, filing_clock_finding
from hegui.obligations.register import Status
from tests.filing.helpers import settings

LAUNCH = "2026-09-28"  # Monday before the 2026 National Day holiday (1–7 Oct; Sat 10 Oct is a make-up day)


def test_deadline_skips_the_national_day_holiday_and_counts_the_make_up_day(tmp_path):
    clock = filing_clock(settings(tmp_path, service={"launch_date": LAUNCH}), dt.date(2026, 9, 28))
    # 29, 30 Sep; 8, 9, 10 (make-up Saturday), 12–16 Oct: ten working days. Weekends alone would give 12 Oct.
    assert clock.due_on == dt.date(2026, 10, 16) and not clock.provisional_years
    assert clock.working_days_left == 10 and clock.state == "running"


def test_overdue_flips_the_row_and_a_filing_number_restores_it(tmp_path):
    late = dt.date(2026, 10, 20)
    s = settings(tmp_path, service={"launch_date": LAUNCH})
    clock = filing_clock(s, late)
    assert clock.overdue and clock.working_days_left == -2
    f = filing_clock_finding(s, late)
    assert f.status is Status.NOT_MET and "overdue by 2" in f.reason_en and "2026-10-16" in f.reason_en
    within = filing_clock_finding(s, dt.date(2026, 10, 15))
    assert within.status is Status.MET and "1 working day(s) left" in within.reason_en
    filed = filing_clock_finding(settings(tmp_path, service={"launch_date": LAUNCH, "filing_number": "B-1"}), late)
    assert filed.status is Status.MET and "B-1" in filed.reason_en


def test_no_launch_date_is_not_met_and_an_uncovered_year_is_provisional(tmp_path):
    f = filing_clock_finding(settings(tmp_path), dt.date(2026, 10, 1))
    assert f.status is Status.NOT_MET and "service.launch_date" in f.reason_en
    clock = filing_clock(settings(tmp_path, service={"launch_date": "2027-03-01"}), dt.date(2027, 3, 1))
    assert clock.provisional_years == (2027,) and clock.due_on == dt.date(2027, 3, 15)
    assert "provisional" in clock.lines()[1]
