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
    from hegui.gateway.services import build_services
    from hegui.settings import load_settings

    services = build_services(load_settings(config), lazy=True)
    services.db.upgrade()
    return CaseDesk(services)


@app.command()
def calendar(year: int | None = typer.Option(None, help="check one year")) -> None:
    """Show the years the working-day calendar covers. / 显示工作日历覆盖的年份。"""
    from hegui.cases.calendar import default_calendar

    cal = default_calendar()
    console.print(f"calendar {cal.version}: covers {', '.join(map(str, sorted(cal.years)))} / 覆盖年份")
    for w in cal.startup_check(dt.date.today()):
        console.print(f"[yellow]{w}[/]")
    if year is not None and year not in cal.years:
        console.print(f"[red]{year} is not covered / 未覆盖[/]")
        raise typer.Exit(1)


@app.command()
def deadline(case_type: str = typer.Argument(..., help="case type, e.g. pi_delete"),
             received: str = typer.Option(None, help="YYYY-MM-DD (default today)")) -> None:
    """Compute a case deadline in working days. / 计算办理期限（工作日）。"""
    from hegui.cases.calendar import default_calendar
    from hegui.cases.config import load_config

    cfg = load_config()
    if case_type not in cfg.case_types:
        raise typer.BadParameter(f"unknown case type; one of {', '.join(cfg.case_types)}")
    start = dt.date.fromisoformat(received) if received else dt.date.today()
    days = cfg.case_types[case_type].working_days
    console.print(f"{start} + {days} working days / 个工作日 = {default_calendar().add_working_days(start, days)}")


@app.command()
def alerts(config: Path | None = ConfigOpt, send: bool = typer.Option(False, help="POST to the webhook")) -> None:
    """Overdue and due-soon cases (cron-friendly). / 逾期与即将到期的案件。"""
    desk = _desk(config)
    table = Table("tracking 编号", "type 类型", "due 期限", "alert 提醒", "status 状态")
    items = desk.alerts()
    for a in items:
        table.add_row(a.case.tracking, a.case.type, str(a.case.due_on or "—"), a.kind, a.case.status)
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
