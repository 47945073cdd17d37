"""Working days on the mainland calendar: weekends, public holidays and make-up working days
(调休), from the shipped ``hegui/data/calendar/cn-mainland.yaml`` merged with the operator's
imported arrangements in ``<var_dir>/calendar/*.yaml`` (operator wins, per year). Deadlines for
complaints and personal-information requests are counted in working days (PIPL Arts 44–50 in
practice: 15 working days, see security-requirements §8).

Years the calendar does not cover are never guessed. Two ways to count across them:

- strict (:meth:`WorkingCalendar.is_working_day`, :meth:`WorkingCalendar.add_working_days`):
  raise :class:`CalendarNotCovered`;
- provisional (:meth:`WorkingCalendar.deadline`, ``working_days_between(..., provisional_ok=True)``):
  in an uncovered year Monday–Friday are working days and Saturday/Sunday are not — no public
  holidays and no make-up working days are assumed — and the result names the years it assumed.

Why that provisional rule is (almost always) on the safe side: public holidays only remove
working days, so ignoring them can only make the count finish earlier. Make-up working days
(调休上班, always a Saturday or Sunday) add working days, so ignoring them can make the count finish
later — but each make-up day pays for a weekday taken off next to a holiday, so across any period
that contains both the make-up day and its holiday the net effect still favours the provisional
date. The exception is a period that contains the make-up day but not the weekdays it pays for
(the holiday starts after the deadline, or ended before the case was received): there the
official deadline is one working day earlier than the provisional one. Measured on the 2024–2026
data: 67 of 1,035 receipt dates for a 15-working-day limit, never more than one working day.
See docs/cases.md; the console asks staff to treat provisional deadlines as one day tighter.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from hegui.cases.errors import CalendarFileInvalid, CalendarNotCovered
from hegui.errors import ConfigError
from hegui.fileio import fsync_dir

REGION = "CN-mainland"
OPERATOR_DIR = "calendar"  # under var_dir
TOP_KEYS = {"version", "region", "source", "covered_years", "years", "imported_at", "imported_from",
            "imported_sha256", "notes"}
YEAR_KEYS = {"holidays", "workdays", "notes"}
ITEM_KEYS = {"date", "name", "note"}
# Statutory holidays (全国年节及纪念日放假办法): every year's arrangement names all seven, and the
# fixed-date ones are always days off. A file missing any of them is incomplete, not a calendar.
FESTIVALS = {
    "New Year's Day / 元旦": ("new year", "元旦"),
    "Spring Festival / 春节": ("spring festival", "春节"),
    "Tomb-sweeping Day / 清明节": ("tomb-sweeping", "tomb sweeping", "qingming", "清明"),
    "Labour Day / 劳动节": ("labour day", "labor day", "劳动节"),
    "Dragon Boat Festival / 端午节": ("dragon boat", "端午"),
    "Mid-autumn Festival / 中秋节": ("mid-autumn", "mid autumn", "中秋"),
    "National Day / 国庆节": ("national day", "国庆"),
}
FIXED_DAYS_OFF = ((1, 1), (5, 1), (10, 1), (10, 2), (10, 3))
WEEKDAY_ZH = "一二三四五六日"


def shipped_path() -> Path:
    return Path(str(resources.files("hegui") / "data" / "calendar" / "cn-mainland.yaml"))


def operator_dir(var_dir: str | Path) -> Path:
    return Path(var_dir) / OPERATOR_DIR


@dataclass(frozen=True)
class YearSource:
    year: int
    origin: str  # shipped | operator
    path: str
    version: str
    source: str


@dataclass(frozen=True)
class Deadline:
    due_on: dt.date
    assumed_years: tuple[int, ...] = ()  # uncovered years counted on the weekend-only rule

    @property
    def provisional(self) -> bool:
        return bool(self.assumed_years)


@dataclass(frozen=True)
class WorkingCalendar:
    version: str
    years: frozenset[int]
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    sources: tuple[YearSource, ...] = ()
    problems: tuple[str, ...] = ()  # operator files that were skipped, bilingual

    @classmethod
    def load(cls, path: Path | None = None) -> WorkingCalendar:
        """One calendar file on its own (validated; raises :class:`CalendarFileInvalid`)."""
        file = path or shipped_path()
        doc = parse_file(file)
        origin = "shipped" if path is None else "file"
        return cls._build([(doc, origin)], ())

    @classmethod
    def _build(cls, docs: list[tuple[CalendarDoc, str]], problems: Iterable[str]) -> WorkingCalendar:
        chosen: dict[int, tuple[CalendarDoc, str]] = {}
        for doc, origin in docs:  # later documents win (shipped first, then operator files)
            for year in doc.years:
                chosen[year] = (doc, origin)
        hol: set[dt.date] = set()
        work: set[dt.date] = set()
        sources = []
        for year in sorted(chosen):
            doc, origin = chosen[year]
            hol |= doc.years[year][0]
            work |= doc.years[year][1]
            sources.append(YearSource(year, origin, str(doc.path), doc.version, doc.source))
        versions = []
        for doc, origin in docs:
            if any(chosen[y][0] is doc for y in doc.years):
                versions.append(doc.version if origin == "shipped" else f"{doc.version or doc.path.name}")
        return cls("+".join(v for v in versions if v), frozenset(chosen), frozenset(hol), frozenset(work),
                   tuple(sources), tuple(problems))

    # -- counting ----------------------------------------------------------------------------
    def _covered(self) -> str:
        return ", ".join(map(str, sorted(self.years))) or "none"

    def _check(self, d: dt.date) -> None:
        if d.year not in self.years:
            raise CalendarNotCovered(year=d.year, covered=self._covered())

    def is_working_day(self, d: dt.date) -> bool:
        self._check(d)
        if d in self.workdays:
            return True
        return d.weekday() < 5 and d not in self.holidays

    def _working(self, d: dt.date, assumed: set[int] | None) -> bool:
        if assumed is not None and d.year not in self.years:
            assumed.add(d.year)
            return d.weekday() < 5  # provisional rule: weekends off, no holidays, no make-up days
        return self.is_working_day(d)

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date ``days`` working days after ``start`` (``start`` itself is not counted);
        strict: raises :class:`CalendarNotCovered` when the count reaches an uncovered year."""
        d, left = start, days
        while left > 0:
            d += dt.timedelta(days=1)
            if self.is_working_day(d):
                left -= 1
        return d

    def deadline(self, start: dt.date, days: int) -> Deadline:
        """Like :meth:`add_working_days`, but days in uncovered years are counted on the
        provisional weekend-only rule; the result says which years were assumed."""
        d, left = start, days
        assumed: set[int] = set()
        while left > 0:
            d += dt.timedelta(days=1)
            if self._working(d, assumed):
                left -= 1
        return Deadline(d, tuple(sorted(assumed)))

    def working_days_between(self, start: dt.date, end: dt.date, provisional_ok: bool = False) -> int:
        """Working days in (start, end]; negative when end is before start. With
        ``provisional_ok`` uncovered years are counted on the weekend-only rule."""
        if end < start:
            return -self.working_days_between(end, start, provisional_ok)
        assumed: set[int] | None = set() if provisional_ok else None
        n, d = 0, start
        while d < end:
            d += dt.timedelta(days=1)
            n += self._working(d, assumed)
        return n

    # -- coverage ----------------------------------------------------------------------------
    def uncovered_ahead(self, today: dt.date) -> list[int]:
        """Years deadlines may reach now but the calendar lacks: this year, and next year from
        1 November (a 15-working-day limit reaches it from about 10 December)."""
        out = [today.year] if today.year not in self.years else []
        if today.year + 1 not in self.years and today >= dt.date(today.year, 11, 1):
            out.append(today.year + 1)
        return out

    def first_provisional_receipt(self, year: int, days: int) -> dt.date:
        """The first receipt date whose ``days``-working-day deadline reaches into ``year``."""
        d = dt.date(year - 1, 12, 31)
        while d.year >= year - 1 and self.deadline(d - dt.timedelta(days=1), days).due_on.year >= year:
            d -= dt.timedelta(days=1)
        return d

    def startup_check(self, today: dt.date, horizon_days: int = 15) -> list[str]:
        """Problems to report at start-up, one line each: operator calendar files that were
        skipped, and the current or next year not covered (deadlines reaching it are provisional),
        as a :class:`~hegui.cases.calendar_notice.Notice` naming the period and the fix."""
        from hegui.cases.calendar_notice import gap_notice

        problems: list[str] = list(self.problems)
        for y in self.uncovered_ahead(today):
            first = None if y == today.year else self.first_provisional_receipt(y, horizon_days)
            problems.append(gap_notice(y, first))
        return problems


# -- files --------------------------------------------------------------------------------------

@dataclass
class CalendarDoc:
    path: Path
    version: str
    source: str
    region: str
    years: dict[int, tuple[frozenset[dt.date], frozenset[dt.date]]]  # year -> (holidays, workdays)
    raw: dict[str, Any] = field(default_factory=dict)


class _Map(dict):
    line = 0
    key_lines: dict[Any, int]


class _Seq(list):
    line = 0
    item_lines: list[int]


@dataclass(frozen=True)
class _Bad:
    """A scalar YAML took for a timestamp but that is not a valid date (e.g. 2027-02-30)."""

    text: str
    line: int


class _Loader(yaml.SafeLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    m = _Map()
    m.line, m.key_lines = node.start_mark.line + 1, {}
    for knode, vnode in node.value:
        key = loader.construct_object(knode, deep=True)
        line = knode.start_mark.line + 1
        if key in m:
            loader.problems.append((line, f"duplicate key {key!r} (first on line {m.key_lines[key]})",
                                    f"键 {key!r} 重复（首次出现在第 {m.key_lines[key]} 行）"))
            continue
        m[key] = loader.construct_object(vnode, deep=True)
        m.key_lines[key] = line
    return m


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> _Seq:
    s = _Seq(loader.construct_object(n, deep=True) for n in node.value)
    s.line, s.item_lines = node.start_mark.line + 1, [n.start_mark.line + 1 for n in node.value]
    return s


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> object:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return _Bad(str(node.value), node.start_mark.line + 1)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def parse_file(path: Path, *, require_source: bool = False, text: str | None = None) -> CalendarDoc:
    """Read and validate one calendar file; every problem is reported as ``file:line: …`` in
    zh and en (:class:`CalendarFileInvalid`)."""
    try:
        text = path.read_text(encoding="utf-8") if text is None else text
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarFileInvalid(message_en=f"{path}: cannot read: {exc}",
                                  message_zh=f"{path}：无法读取：{exc}") from exc
    loader = _Loader(text)
    loader.problems = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise CalendarFileInvalid(message_en=f"{path}:{line}: not valid YAML: {exc.problem}",
                                  message_zh=f"{path}:{line}：不是有效的 YAML：{exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise CalendarFileInvalid(message_en=f"{path}: not valid YAML: {exc}",
                                  message_zh=f"{path}：不是有效的 YAML：{exc}") from exc
    finally:
        loader.dispose()
    problems: list[tuple[int, str, str]] = list(loader.problems)
    doc = _validate(path, data, problems, require_source)
    if problems:
        problems.sort(key=lambda p: p[0])
        raise CalendarFileInvalid(message_en="\n".join(f"{path}:{ln}: {en}" for ln, en, _ in problems),
                                  message_zh="\n".join(f"{path}:{ln}：{zh}" for ln, _, zh in problems))
    return doc


def _validate(path: Path, data: object, problems: list[tuple[int, str, str]], require_source: bool) -> CalendarDoc:
    def bad(line: int, en: str, zh: str) -> None:
        problems.append((line, en, zh))

    doc = CalendarDoc(path, "", "", REGION, {})
    if not isinstance(data, _Map):
        bad(1, "the file must be a mapping with covered_years and years", "文件须为包含 covered_years 和 years 的映射")
        return doc
    doc.raw = data
    for key in data:
        if key not in TOP_KEYS:
            bad(data.key_lines[key], f"unknown key {key!r} (allowed: {', '.join(sorted(TOP_KEYS))})",
                f"未知的键 {key!r}")
    doc.version = str(data.get("version") or "")
    doc.source = str(data.get("source") or "").strip()
    if require_source and not doc.source:
        bad(data.line, "'source' is missing: name the State Council notice this arrangement comes from",
            "缺少 source：请写明节假日安排所依据的国务院办公厅通知")
    region = data.get("region", REGION)
    if region != REGION:
        bad(data.key_lines.get("region", data.line), f"region must be {REGION}, not {region!r}",
            f"region 须为 {REGION}，不能是 {region!r}")
    covered = data.get("covered_years")
    cov_line = data.key_lines.get("covered_years", data.line)
    years_map = data.get("years")
    years_line = data.key_lines.get("years", data.line)
    if not isinstance(covered, list) or not covered:
        bad(cov_line, "covered_years must be a non-empty list of years", "covered_years 须为非空的年份列表")
        covered = []
    cov: list[int] = []
    for i, y in enumerate(covered):
        line = covered.item_lines[i] if isinstance(covered, _Seq) else cov_line
        if not isinstance(y, int) or isinstance(y, bool) or not 2000 <= y <= 2100:
            bad(line, f"{y!r} in covered_years is not a year", f"covered_years 中的 {y!r} 不是年份")
        elif y in cov:
            bad(line, f"{y} is listed twice in covered_years", f"covered_years 中 {y} 重复")
        else:
            cov.append(y)
    if not isinstance(years_map, _Map):
        bad(years_line, "'years' must be a mapping year -> {holidays, workdays}",
            "years 须为 年份 -> {holidays, workdays} 的映射")
        years_map = _Map()
        years_map.key_lines = {}
    for y in years_map:
        if y not in cov:
            bad(years_map.key_lines[y], f"year {y!r} is listed under years but not in covered_years",
                f"{y!r} 年列在 years 下，但不在 covered_years 中")
    for y in cov:
        if y not in years_map:
            bad(cov_line, f"covered year {y} has no entry under years", f"覆盖年份 {y} 在 years 下没有数据")
            continue
        entry = years_map[y]
        yline = years_map.key_lines[y]
        if not isinstance(entry, _Map):
            bad(yline, f"{y}: expected holidays and workdays lists", f"{y}：应包含 holidays 和 workdays 列表")
            continue
        for key in entry:
            if key not in YEAR_KEYS:
                bad(entry.key_lines[key], f"{y}: unknown key {key!r} (allowed: holidays, workdays, notes)",
                    f"{y}：未知的键 {key!r}（允许：holidays、workdays、notes）")
        hol_line = entry.key_lines.get("holidays", yline)
        holidays = _items(entry.get("holidays"), y, "holidays", hol_line, bad)
        workdays = _items(entry.get("workdays") or _Seq(), y, "workdays", entry.key_lines.get("workdays", yline), bad)
        if not holidays:
            bad(hol_line, f"covered year {y} has no holiday list", f"覆盖年份 {y} 没有节假日列表")
            continue
        hol_dates: dict[dt.date, int] = {}
        for d, _, line in holidays:
            if d in hol_dates:
                bad(line, f"holiday {d} listed twice (line {hol_dates[d]})", f"放假日 {d} 重复（第 {hol_dates[d]} 行）")
            hol_dates.setdefault(d, line)
        work_dates: dict[dt.date, int] = {}
        for d, _, line in workdays:
            if d.weekday() < 5:
                bad(line, f"make-up working day {d} is not a weekend day (it is a {d:%A})",
                    f"调休上班日 {d} 不是周末（星期{WEEKDAY_ZH[d.weekday()]}）")
            if d in hol_dates:
                bad(line, f"{d} is both a holiday (line {hol_dates[d]}) and a make-up working day",
                    f"{d} 既是放假日（第 {hol_dates[d]} 行）又是调休上班日")
            if d in work_dates:
                bad(line, f"make-up working day {d} listed twice", f"调休上班日 {d} 重复")
            work_dates.setdefault(d, line)
        # completeness: fixed-date statutory days off and all seven festivals named
        for m, day in FIXED_DAYS_OFF:
            if dt.date(y, m, day) not in hol_dates:
                bad(hol_line, f"{y}: incomplete — {dt.date(y, m, day)} (a statutory holiday) is not listed as a day off",
                    f"{y}：不完整——法定节假日 {dt.date(y, m, day)} 未列为放假日")
        names = " | ".join(n.lower() for _, n, _ in holidays)
        missing = [f for f, keys in FESTIVALS.items() if not any(k in names for k in keys)]
        if missing:
            bad(hol_line, f"{y}: incomplete — no holiday named for {', '.join(f.split(' / ')[0] for f in missing)}",
                f"{y}：不完整——缺少{'、'.join(f.split(' / ')[1] for f in missing)}的放假安排（name 字段）")
        weekday_off = sum(1 for d in hol_dates if d.weekday() < 5)
        if len(work_dates) > weekday_off:
            bad(entry.key_lines.get("workdays", yline),
                f"{y}: {len(work_dates)} make-up working days but only {weekday_off} weekday holidays — "
                "make-up days only replace weekdays taken off", f"{y}：调休上班日 {len(work_dates)} 天多于工作日放假 "
                f"{weekday_off} 天，调休上班日只能补回放假的工作日")
        doc.years[y] = (frozenset(hol_dates), frozenset(work_dates))
    return doc


def _items(seq: object, year: int, what: str, line: int, bad) -> list[tuple[dt.date, str, int]]:  # noqa: ANN001
    if seq is None:
        return []
    if not isinstance(seq, list):
        bad(line, f"{year}: {what} must be a list", f"{year}：{what} 须为列表")
        return []
    out = []
    for i, item in enumerate(seq):
        ln = seq.item_lines[i] if isinstance(seq, _Seq) else line
        name = ""
        value = item
        if isinstance(item, _Map):
            for key in item:
                if key not in ITEM_KEYS:
                    bad(ln, f"{year} {what}: unknown key {key!r} (allowed: date, name, note)",
                        f"{year} {what}：未知的键 {key!r}（允许：date、name、note）")
            value, name = item.get("date"), str(item.get("name") or "")
        if isinstance(value, _Bad):
            bad(value.line, f"{value.text!r} is not a valid date", f"{value.text!r} 不是有效日期")
            continue
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            try:
                value = dt.date.fromisoformat(str(value))
            except ValueError:
                bad(ln, f"{value!r} is not a date (YYYY-MM-DD)", f"{value!r} 不是日期（YYYY-MM-DD）")
                continue
        if value.year != year:
            bad(ln, f"{value} is listed under {year}", f"{value} 列在 {year} 年下")
            continue
        if what == "holidays" and not name.strip():
            bad(ln, f"holiday {value} has no name (which festival?)", f"放假日 {value} 缺少 name（哪个节日？）")
        out.append((value, name, ln))
    return out


# -- loading and importing ------------------------------------------------------------------------

def operator_files(var_dir: str | Path | None) -> list[Path]:
    if not var_dir:
        return []
    folder = operator_dir(var_dir)
    return sorted(p for p in folder.glob("*.yaml") if p.is_file()) if folder.is_dir() else []


def load_calendar(var_dir: str | Path | None = None, *, strict: bool = False) -> WorkingCalendar:
    """The shipped calendar merged with the operator's files in ``<var_dir>/calendar/`` (operator
    wins, per year). A broken operator file is skipped and reported in ``problems`` (the gateway
    must start); with ``strict`` it raises instead."""
    docs: list[tuple[CalendarDoc, str]] = [(parse_file(shipped_path()), "shipped")]
    problems: list[str] = []
    seen: dict[int, Path] = {}
    for path in operator_files(var_dir):
        try:
            doc = parse_file(path)
        except CalendarFileInvalid as exc:
            if strict:
                raise
            problems.append(f"工作日历文件已跳过 {exc.message('zh')} / operator calendar file skipped: {exc.message('en')}")
            continue
        clash = sorted(y for y in doc.years if y in seen)
        if clash:
            msg_en = f"{path}: year(s) {clash} already imported from {seen[clash[0]]}; file skipped"
            msg_zh = f"{path}：年份 {clash} 已由 {seen[clash[0]]} 提供，本文件已跳过"
            if strict:
                raise CalendarFileInvalid(message_en=msg_en, message_zh=msg_zh)
            problems.append(f"{msg_zh} / {msg_en}")
            continue
        for y in doc.years:
            seen[y] = path
        docs.append((doc, "operator"))
    return WorkingCalendar._build(docs, problems)


def stamp(var_dir: str | Path | None) -> tuple:
    """Cheap fingerprint of the operator's calendar files (to reload when they change)."""
    out = []
    for p in operator_files(var_dir):
        try:
            st = p.stat()
        except OSError:
            continue
        out.append((p.name, st.st_mtime_ns, st.st_size))
    return tuple(out)


@dataclass(frozen=True)
class Imported:
    years: tuple[int, ...]
    files: tuple[Path, ...]
    source: str
    sha256: str


def import_file(file: Path, var_dir: str | Path, now: dt.datetime | None = None, dry_run: bool = False) -> Imported:
    """Validate an official arrangement and write it, one file per year, into
    ``<var_dir>/calendar/<year>.yaml`` (each write atomic; nothing is written unless every year is
    valid and the merged calendar still loads)."""
    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CalendarFileInvalid(message_en=f"{file}: not UTF-8 text ({exc})",
                                  message_zh=f"{file}：不是 UTF-8 文本（{exc}）") from exc
    doc = parse_file(file, require_source=True, text=text)
    sha = hashlib.sha256(raw).hexdigest()
    folder = operator_dir(var_dir)
    when = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    outputs: list[tuple[Path, str]] = []
    for y in sorted(doc.years):
        entry = doc.raw["years"][y]
        body = {
            "version": doc.version or when[:10], "region": REGION, "source": doc.source, "imported_at": when,
            "imported_from": file.name, "imported_sha256": sha, "covered_years": [y],
            "years": {y: {"holidays": [_plain(i) for i in entry.get("holidays") or []],
                          "workdays": [_plain(i) for i in entry.get("workdays") or []]}},
        }
        text = (f"# Imported by `hegui cases calendar import` — operator calendar for {y}; overrides the shipped\n"
                f"# file for this year. Source: {doc.source}\n"
                + yaml.safe_dump(body, allow_unicode=True, sort_keys=False, default_flow_style=None, width=120))
        target = folder / f"{y}.yaml"
        parse_file(target, text=text)  # what we write must read back
        outputs.append((target, text))
    # the merged calendar must still load with these files in place (no clash with other files)
    others = [p for p in operator_files(var_dir) if p not in {t for t, _ in outputs}]
    for p in others:
        other = parse_file(p)
        clash = sorted(set(other.years) & set(doc.years))
        if clash:
            raise CalendarFileInvalid(message_en=f"{p}: also covers {clash}; remove it or fold it into {file}",
                                      message_zh=f"{p} 也覆盖 {clash} 年；请删除或并入 {file}")
    if not dry_run:
        folder.mkdir(parents=True, exist_ok=True)
        tmps = []
        try:
            for target, text in outputs:
                tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
                with open(tmp, "w", encoding="utf-8") as f:
                    f.write(text)
                    f.flush()
                    os.fsync(f.fileno())
                tmps.append((tmp, target))
            for tmp, target in tmps:
                os.replace(tmp, target)
            fsync_dir(folder)
        finally:
            for tmp, _ in tmps:
                tmp.unlink(missing_ok=True)
    return Imported(tuple(sorted(doc.years)), tuple(t for t, _ in outputs), doc.source, sha)


def _plain(item: object) -> dict[str, Any]:
    if isinstance(item, dict):
        d = item.get("date")
        out = {"date": d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))}
        if item.get("name"):
            out["name"] = str(item["name"])
        return out
    return {"date": item if isinstance(item, dt.date) else dt.date.fromisoformat(str(item))}


@lru_cache(maxsize=1)
def default_calendar() -> WorkingCalendar:
    """The shipped calendar alone (no operator files)."""
    return WorkingCalendar.load()


__all__ = ["ConfigError", "Deadline", "WorkingCalendar", "YearSource", "default_calendar", "import_file",
           "load_calendar", "parse_file"]
