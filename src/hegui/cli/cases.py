"""``hegui cases``: deadlines, alerts, takedowns, sanctions and the regulator report from the shell."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Complaints, PI requests and enforcement / 投诉举报、个人信息请求与处置", no_args_is_help=True)
console = Console()
ConfigOpt = typer.Option(None, "--config", "-c", help="path to hegui.toml")
FunctionOpt = typer.Option(None, "--function", help="restricted function: chat, images")


def _desk(config: Path | None):
    from hegui.cases.desk import CaseDesk
    from hegui.app import build_services
    from hegui.settings import load_settings

    services = build_services(load_settings(config), lazy=True)
    services.db.upgrade()
    return CaseDesk(services)


calendar_app = typer.Typer(help="Working-day calendar: covered years, import of the State Council's holiday "
                                "arrangement / 工作日历：覆盖年份、导入国务院节假日安排", no_args_is_help=False)
app.add_typer(calendar_app, name="calendar")


def _var_dir(config: Path | None) -> str:
    from hegui.settings import load_settings

    return load_settings(config).var_dir


def _show(config: Path | None, year: int | None) -> None:
    from hegui.cases.calendar import load_calendar
    from hegui.cases.intake import TZ

    cal = load_calendar(_var_dir(config))
    console.print(f"calendar {cal.version}: covers {', '.join(map(str, sorted(cal.years)))} / 覆盖年份")
    table = Table("year 年份", "from 来源", "file 文件", "source 依据")
    today = dt.datetime.now(TZ).date()
    for src in cal.sources:
        operator = src.origin == "operator"
        table.add_row(str(src.year), "operator 运营方导入" if operator else "shipped 随附",
                      src.path if operator else Path(src.path).name, src.source or src.version)
    for y in cal.uncovered_ahead(today):
        table.add_row(str(y), "[red]not covered 未覆盖[/]", "—",
                      "deadlines reaching it are provisional (weekends only) / 跨入该年的期限为暂定（仅按周末计算）")
    console.print(table)
    for w in cal.startup_check(today):
        console.print(f"[yellow]{w}[/]")
    if year is not None and year not in cal.years:
        console.print(f"[red]{year} is not covered: deadlines reaching it are provisional (weekends only) / "
                      f"{year} 年未覆盖：跨入该年的期限为暂定（仅按周末计算）[/]")
        raise typer.Exit(1)


@calendar_app.callback(invoke_without_command=True)
def calendar(ctx: typer.Context, year: int | None = typer.Option(None, help="check one year (exit 1 if not covered)"),
             config: Path | None = ConfigOpt) -> None:
    """Show the years the working-day calendar covers. / 显示工作日历覆盖的年份。"""
    if ctx.invoked_subcommand is None:
        _show(config, year)


@calendar_app.command("show")
def calendar_show(year: int | None = typer.Option(None, help="check one year (exit 1 if not covered)"),
                  config: Path | None = ConfigOpt) -> None:
    """Covered years, where each comes from, warnings. / 覆盖年份、来源与警告。"""
    _show(config, year)


@calendar_app.command("import")
def calendar_import(file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                                help="the year's arrangement as YAML (docs/cases.md)"),
                    config: Path | None = ConfigOpt,
                    dry_run: bool = typer.Option(False, "--dry-run", help="validate only / 仅校验"),
                    recompute: bool = typer.Option(True, help="recompute provisional deadlines of open cases")) -> None:
    """Import an official holiday arrangement into <var_dir>/calendar/ and recompute provisional
    deadlines. / 导入国务院节假日安排并重新计算暂定期限。"""
    from hegui.cases.calendar import import_file
    from hegui.cases.errors import CalendarFileInvalid

    var_dir = _var_dir(config)
    try:
        done = import_file(file, var_dir, dry_run=dry_run)
    except CalendarFileInvalid as exc:
        console.print(f"[red]{exc.message('en')}[/]", highlight=False, soft_wrap=True)
        console.print(f"[red]{exc.message('zh')}[/]", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    years = ", ".join(map(str, done.years))
    if dry_run:
        console.print(f"{file}: valid, covers {years} (nothing written) / 校验通过，未写入", soft_wrap=True)
        return
    for f in done.files:
        console.print(f"written / 已写入 {f}", soft_wrap=True)
    if not recompute:
        return
    _recompute(config, "cli:calendar-import", False, imported={"years": list(done.years), "source": done.source,
                                                                "sha256": done.sha256, "file": file.name})


@calendar_app.command("recompute")
def calendar_recompute(config: Path | None = ConfigOpt,
                       all_open: bool = typer.Option(False, "--all", help="every open case, not only provisional "
                                                                          "ones (after correcting a covered year)")) -> None:
    """Recompute provisional (or, with --all, every open) deadline. / 重新计算未结案件期限。"""
    _recompute(config, "cli:calendar-recompute", all_open)


def _recompute(config: Path | None, actor: str, all_open: bool, imported: dict | None = None) -> None:
    desk = _desk(config)
    changes = desk.recompute_deadlines(actor, include_official=all_open, imported=imported)
    table = Table("tracking 编号", "old 原期限", "new 新期限", "basis 依据")
    for c in changes:
        table.add_row(c.tracking, str(c.old_due or "—"), str(c.new_due),
                      "provisional 暂定" if c.provisional else "official 正式")
    console.print(table)
    left = sum(1 for c in changes if c.provisional)
    console.print(f"recomputed {len(changes)} deadlines, {left} still provisional / "
                  f"已重新计算 {len(changes)} 个期限，仍为暂定 {left} 个")


@app.command()
def deadline(case_type: str = typer.Argument(..., help="case type, e.g. pi_delete"),
             received: str = typer.Option(None, help="YYYY-MM-DD (default today)"),
             config: Path | None = ConfigOpt) -> None:
    """Compute a case deadline in working days. / 计算办理期限（工作日）。"""
    from hegui.cases.calendar import load_calendar
    from hegui.cases.config import load_config
    from hegui.cases.intake import TZ

    var_dir = _var_dir(config)
    cfg = load_config(var_dir)
    if case_type not in cfg.case_types:
        raise typer.BadParameter(f"unknown case type; one of {', '.join(cfg.case_types)}")
    start = dt.date.fromisoformat(received) if received else dt.datetime.now(TZ).date()
    days = cfg.case_types[case_type].working_days
    due = load_calendar(var_dir).deadline(start, days)
    flag = ""
    if due.provisional:
        years = ", ".join(map(str, due.assumed_years))
        flag = (f" (PROVISIONAL: {years} counted weekends only, no holidays; import the official arrangement / "
                f"暂定：{years} 年仅按周末计算)")
    console.print(f"{start} + {days} working days / 个工作日 = {due.due_on}{flag}", soft_wrap=True)


@app.command()
def alerts(config: Path | None = ConfigOpt, send: bool = typer.Option(False, help="POST to the webhook")) -> None:
    """Overdue and due-soon cases (cron-friendly). / 逾期与即将到期的案件。"""
    desk = _desk(config)
    table = Table("tracking 编号", "type 类型", "due 期限", "alert 提醒", "status 状态")
    items = desk.alerts()
    for a in items:
        due = str(a.case.due_on or "—") + (" provisional 暂定" if a.provisional else "")
        table.add_row(a.case.tracking, a.case.type, due, a.kind, a.case.status)
    console.print(table)
    if send:
        console.print(f"sent {desk.send_alerts('cli')} alerts / 已发送")


@app.command()
def takedown(content_id: str, reason: str = typer.Option(..., help="why / 理由"), config: Path | None = ConfigOpt,
             refutation: str = typer.Option("", help="rumour-refutation notice (zh) / 辟谣公告")) -> None:
    """Take down a generated item and block its regeneration. / 下架并防止再生成。"""
    tid = _desk(config).take_down(content_id, reason, "cli", refutation_zh=refutation)
    console.print(f"taken down / 已下架: {content_id} ({tid})")


@app.command()
def sanction(user_id: str, kind: str = typer.Option(..., help="warn|restrict|suspend|terminate"),
             reason: str = typer.Option(...), hours: float | None = typer.Option(None),
             function: list[str] | None = FunctionOpt,
             config: Path | None = ConfigOpt) -> None:
    """Sanction an end user (internal id). / 处置终端用户。"""
    sid = _desk(config).sanction(user_id, kind, reason, "cli", hours, tuple(function or ()))
    console.print(f"{kind}: {user_id} ({sid})")


@app.command()
def report(start: str = typer.Option(..., "--from"), end: str = typer.Option(..., "--to"),
           fmt: str = typer.Option("csv", "--format", help="csv or pdf"), out: str = typer.Option(...),
           config: Path | None = ConfigOpt) -> None:
    """Regulator report for a period (CSV or Chinese PDF). / 导出监管报告。"""
    from hegui.cases import report as rep_mod

    desk = _desk(config)
    sv = desk.sv
    with sv.db.session() as s:
        rep = rep_mod.collect(s, desk.config, sv.keys, dt.date.fromisoformat(start), dt.date.fromisoformat(end))
        data = rep_mod.to_pdf(rep, sv.settings) if fmt == "pdf" else rep_mod.to_csv(rep)
        rep_mod.audit_export(s, "cli", rep, fmt)
    Path(out).write_bytes(data)
    console.print(f"{out}: {len(rep.cases)} cases, {len(rep.takedowns)} takedowns, {len(rep.sanctions)} sanctions")
