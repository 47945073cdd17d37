"""Working days on the mainland calendar: weekends, public holidays and make-up working days
(调休), from ``hegui/data/calendar/cn-mainland.yaml``. Deadlines for complaints and
personal-information requests are counted in working days (PIPL Arts 44–50 in practice:
15 working days, see security-requirements §8). Dates outside the covered years raise
:class:`CalendarNotCovered` instead of guessing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from hegui.cases.errors import CalendarNotCovered
from hegui.errors import ConfigError


@dataclass(frozen=True)
class WorkingCalendar:
    version: str
    years: frozenset[int]
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]

    @classmethod
    def load(cls, path: Path | None = None) -> WorkingCalendar:
        file = path or Path(str(resources.files("hegui") / "data" / "calendar" / "cn-mainland.yaml"))
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        covered = frozenset(int(y) for y in data["covered_years"])
        hol: set[dt.date] = set()
        work: set[dt.date] = set()
        for year in covered:
            entry = (data.get("years") or {}).get(year)
            if not entry or not entry.get("holidays"):
                raise ConfigError(detail=f"{file}: covered year {year} has no holiday list")
            for item in entry["holidays"]:
                hol.add(_date(item["date"], year, file))
            for item in entry.get("workdays") or []:
                d = _date(item["date"], year, file)
                if d.weekday() < 5:
                    raise ConfigError(detail=f"{file}: make-up working day {d} is not a weekend day")
                work.add(d)
        return cls(str(data.get("version", "")), covered, frozenset(hol), frozenset(work))

    def _check(self, d: dt.date) -> None:
        if d.year not in self.years:
            raise CalendarNotCovered(year=d.year, covered=", ".join(map(str, sorted(self.years))))

    def is_working_day(self, d: dt.date) -> bool:
        self._check(d)
        if d in self.workdays:
            return True
        return d.weekday() < 5 and d not in self.holidays

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date ``days`` working days after ``start`` (``start`` itself is not counted)."""
        d = start
        left = days
        while left > 0:
            d += dt.timedelta(days=1)
            if self.is_working_day(d):
                left -= 1
        return d

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        n, d = 0, start
        while d < end:
            d += dt.timedelta(days=1)
            n += self.is_working_day(d)
        return n

    def startup_check(self, today: dt.date) -> list[str]:
        """Problems to report at start-up: the current year not covered (deadlines cannot be
        computed; cases are still accepted and flagged), or the next year missing from November."""
        problems = []
        if today.year not in self.years:
            problems.append(CalendarNotCovered(year=today.year, covered=", ".join(map(str, sorted(self.years)))).bilingual())
        if today.year + 1 not in self.years and today >= dt.date(today.year, 11, 1):
            problems.append(f"working-day calendar does not cover {today.year + 1} yet; deadlines reaching "
                            f"into it cannot be computed / 工作日历尚未覆盖 {today.year + 1} 年，跨入该年的期限无法计算")
        return problems


def _date(value: object, year: int, file: Path) -> dt.date:
    d = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    if d.year != year:
        raise ConfigError(detail=f"{file}: {d} listed under {year}")
    return d


@lru_cache(maxsize=1)
def default_calendar() -> WorkingCalendar:
    return WorkingCalendar.load()
