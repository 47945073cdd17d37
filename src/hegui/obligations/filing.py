"""The filing clock (Algorithm Recommendation Provisions Art 24; Deep Synthesis Provisions Art 19):
the algorithm filing is due within 10 working days of the first day of public service
(``service.launch_date``), counted on the mainland working-day calendar (``hegui.cases.calendar``:
weekends, public holidays, make-up working days). A year the calendar does not cover is counted on
the provisional weekend-only rule and the deadline says so.

The register row ``FILING-CLOCK`` is met when the algorithm filing number is set, or while the
10 working days are still running (the deadline shown); not met when overdue or no launch date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from hegui.cases.calendar import WorkingCalendar, load_calendar
from hegui.obligations.register import Finding, Status
from hegui.settings import HeguiSettings

FILING_WORKING_DAYS = 10  # Algorithm Rec. Art 24: within 10 working days of starting the service
CN = dt.timezone(dt.timedelta(hours=8))


def today_cn() -> dt.date:
    return dt.datetime.now(CN).date()


@dataclass(frozen=True)
class FilingClock:
    """Where the service stands against the 10-working-day filing deadline."""

    launch_date: dt.date | None
    due_on: dt.date | None
    provisional_years: tuple[int, ...]
    today: dt.date
    working_days_left: int | None  # negative when overdue
    filing_number: str
    model_filing_number: str

    @property
    def filed(self) -> bool:
        return bool(self.filing_number)

    @property
    def overdue(self) -> bool:
        return not self.filed and self.due_on is not None and self.today > self.due_on

    @property
    def state(self) -> str:
        """filed | no_launch_date | running | overdue"""
        if self.filed:
            return "filed"
        if self.launch_date is None:
            return "no_launch_date"
        return "overdue" if self.overdue else "running"

    def lines(self) -> tuple[str, str]:
        """One sentence in zh and en."""
        prov_zh = (f"（暂定：工作日历未覆盖 {', '.join(map(str, self.provisional_years))} 年，仅按周末计算）"
                   if self.provisional_years else "")
        prov_en = (f" (provisional: the calendar does not cover {', '.join(map(str, self.provisional_years))}; "
                   "weekends only)" if self.provisional_years else "")
        due = f"{self.due_on}" if self.due_on else "—"
        if self.launch_date is None:
            zh, en = ("未设置上线日期（service.launch_date），无法计算 10 个工作日备案期限",
                      "no launch date set (service.launch_date): the 10-working-day filing deadline cannot be computed")
        elif self.overdue:
            zh = f"上线日期 {self.launch_date}，算法备案期限 {due}{prov_zh}：已逾期 {-(self.working_days_left or 0)} 个工作日"
            en = (f"launched {self.launch_date}, algorithm filing due {due}{prov_en}: overdue by "
                  f"{-(self.working_days_left or 0)} working day(s)")
        else:
            zh = f"上线日期 {self.launch_date}，算法备案期限 {due}{prov_zh}：剩余 {self.working_days_left} 个工作日"
            en = f"launched {self.launch_date}, algorithm filing due {due}{prov_en}: {self.working_days_left} working day(s) left"
        if self.filed:
            zh = f"算法备案号 {self.filing_number} 已设置；" + zh.split("：")[0]
            en = f"algorithm filing number {self.filing_number} set; " + en.split(":")[0]
        return zh, en

    def to_dict(self) -> dict[str, Any]:
        zh, en = self.lines()
        return {"launch_date": self.launch_date.isoformat() if self.launch_date else None,
                "due_on": self.due_on.isoformat() if self.due_on else None,
                "working_days": FILING_WORKING_DAYS, "provisional_years": list(self.provisional_years),
                "today": self.today.isoformat(), "working_days_left": self.working_days_left,
                "state": self.state, "filing_number": self.filing_number,
                "model_filing_number": self.model_filing_number, "summary_zh": zh, "summary_en": en}


def filing_clock(settings: HeguiSettings, today: dt.date | None = None,
                 calendar: WorkingCalendar | None = None) -> FilingClock:
    """The clock from ``service.launch_date`` (Alg. Rec. Art 24: 10 working days)."""
    svc = settings.service
    today = today or today_cn()
    launch = svc.launch_date
    if launch is None:
        return FilingClock(None, None, (), today, None, svc.filing_number, svc.model_filing_number)
    cal = calendar or load_calendar(settings.var_dir)
    deadline = cal.deadline(launch, FILING_WORKING_DAYS)
    left = cal.working_days_between(today, deadline.due_on, provisional_ok=True)
    return FilingClock(launch, deadline.due_on, deadline.assumed_years, today, left, svc.filing_number,
                       svc.model_filing_number)


def filing_clock_finding(settings: HeguiSettings, today: dt.date | None = None,
                         calendar: WorkingCalendar | None = None) -> Finding:
    """FILING-CLOCK: met when filed, or within the 10 working days; not met when overdue."""
    clock = filing_clock(settings, today, calendar)
    zh, en = clock.lines()
    if clock.state in ("filed", "running"):
        return Finding(Status.MET, zh, en)
    return Finding(Status.NOT_MET, zh, en)
