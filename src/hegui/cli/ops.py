"""``hegui ops`` — the management records inspectors ask for (DS Arts 7, 15; IM Art 14):
incidents and emergency response, drills, ethics/security reviews, regulator orders, algorithm
reviews. Every change is audited. See docs/governance.md."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table
from hegui.cli.common import actor, services

console = Console()
app = typer.Typer(help="Management records: incidents, drills, reviews, regulator orders, algorithm reviews / "
                       "管理制度记录：事件、演练、评审、监管命令、算法审核", no_args_is_help=True)
incident_app = typer.Typer(help="Incidents and emergency response / 安全事件与应急处置", no_args_is_help=True)
drill_app = typer.Typer(help="Emergency drills / 应急演练", no_args_is_help=True)
review_app = typer.Typer(help="Ethics and security reviews / 科技伦理与安全评审", no_args_is_help=True)
order_app = typer.Typer(help="Regulator orders / 监管命令与整改", no_args_is_help=True)
algo_app = typer.Typer(help="Periodic algorithm review (DS Art 15) / 算法机制机理定期审核", no_args_is_help=True)
for sub, name in ((incident_app, "incident"), (drill_app, "drill"), (review_app, "review"), (order_app, "order"),
                  (algo_app, "algorithm-review")):
    app.add_typer(sub, name=name)
ConfigOpt = typer.Option(None, "--config", "-c", help="path to hegui.toml")
RefOpt = typer.Option(None, "--ref", help="content id, case id, takedown… (repeatable) / 关联记录")
EvidenceOpt = typer.Option(None, "--evidence", help="file, link or record id (repeatable) / 证据")


def _t(value) -> str:  # noqa: ANN001
    from hegui.governance.common import aware

    if value is None:
        return "—"
    if hasattr(value, "hour"):
        return f"{aware(value):%Y-%m-%d %H:%M} UTC"
    return str(value)


# -- incidents -------------------------------------------------------------------------------------

@incident_app.command("open")
def incident_open(kind: str = typer.Option(..., "--kind", help="illegal_content | data_breach | service_outage | "
                                                               "model_misuse | other"),
                  severity: str = typer.Option(..., "--severity", help="low | medium | high | critical"),
                  summary: str = typer.Option(..., "--summary", help="what happened / 摘要"),
                  ref: Optional[list[str]] = RefOpt,
                  detected: Optional[str] = typer.Option(None, "--detected", help="ISO time (default now) / 发现时间"),
                  config: Optional[Path] = ConfigOpt) -> None:
    """Register an incident; prints its report deadline. / 登记安全事件并显示报告期限。"""
    from hegui.governance import incidents

    sv = services(config)
    with sv.db.session() as s:
        row = incidents.open_incident(s, actor=actor(), kind=kind, severity=severity, summary=summary,
                                      refs=ref or (), detected_at=detected,
                                      report_hours=sv.settings.governance.report_hours)
        console.print(f"incident 事件 [bold]{row.id}[/] detected 已登记; report to the regulator by 须于 "
                      f"{_t(row.report_due_at)} 前报告" if row.report_due_at else
                      f"incident 事件 [bold]{row.id}[/] detected 已登记; no report rule for kind 该类型无报告时限 {kind}",
                      soft_wrap=True)


@incident_app.command("advance")
def incident_advance(incident_id: str = typer.Argument(..., help="incident id / 事件编号"),
                     to: str = typer.Option(..., "--to", help="classified | contained | reported | closed"),
                     note: str = typer.Option("", "--note", help="note / 说明"), ref: Optional[list[str]] = RefOpt,
                     at: Optional[str] = typer.Option(None, "--at", help="ISO time (default now) / 时间"),
                     config: Optional[Path] = ConfigOpt) -> None:
    """Move an incident along its state machine (audited). / 推进事件状态（记入审计日志）。"""
    from hegui.governance import incidents

    sv = services(config)
    with sv.db.session() as s:
        row = incidents.advance(s, incident_id, to, actor=actor(), note=note, refs=ref or (), at=at)
        console.print(f"incident 事件 {row.id} → [bold]{row.state}[/]")


@incident_app.command("list")
def incident_list(open_only: bool = typer.Option(False, "--open", help="open incidents only / 仅未结"),
                  config: Optional[Path] = ConfigOpt) -> None:
    """The incident register. / 事件登记簿。"""
    from hegui.governance import incidents

    sv = services(config)
    table = Table("id", "kind 类型", "severity 级别", "state 状态", "detected 发现", "report due 报告期限", "reported 已报告")
    with sv.db.session() as s:
        for r in incidents.listing(s, open_only=open_only):
            due = _t(r.report_due_at)
            table.add_row(r.id, r.kind, r.severity, r.state, _t(r.detected_at),
                          f"[red]{due} OVERDUE 逾期[/]" if incidents.report_overdue(r) else due, _t(r.reported_at))
    console.print(table)


@incident_app.command("show")
def incident_show(incident_id: str = typer.Argument(...), config: Optional[Path] = ConfigOpt) -> None:
    """One incident with its timeline. / 显示事件详情与时间线。"""
    from hegui.governance import incidents

    sv = services(config)
    with sv.db.session() as s:
        r = incidents.get(s, incident_id)
        console.print(f"[bold]{r.id}[/] {r.kind} / {r.severity} — state 状态 [bold]{r.state}[/]", soft_wrap=True)
        console.print(f"summary 摘要: {r.summary}", soft_wrap=True, markup=False)
        for label, value in (("detected 发现", r.detected_at), ("classified 定级", r.classified_at),
                             ("contained 处置", r.contained_at), ("report due 报告期限", r.report_due_at),
                             ("reported 报告", r.reported_at), ("closed 结案", r.closed_at)):
            console.print(f"  {label}: {_t(value)}")
        overdue = " [red]OVERDUE 报告逾期[/]" if incidents.report_overdue(r) else ""
        console.print(f"refs 关联: {', '.join(r.refs) or '—'}{overdue}", soft_wrap=True)
        console.print(f"next 可转为: {', '.join(incidents.allowed(r)) or '—'}")


# -- drills and reviews -----------------------------------------------------------------------------

@drill_app.command("add")
def drill_add(date: str = typer.Option(..., "--date", help="YYYY-MM-DD"),
              scenario: str = typer.Option(..., "--scenario", help="scenario / 演练场景"),
              participant: list[str] = typer.Option(..., "--participant", help="repeatable / 参与人"),
              findings: str = typer.Option("", "--findings", help="findings / 发现的问题"),
              config: Optional[Path] = ConfigOpt) -> None:
    """Record an emergency drill. / 记录应急演练。"""
    from hegui.governance import drills

    sv = services(config)
    with sv.db.session() as s:
        row = drills.add(s, actor=actor(), held_on=date, scenario=scenario, participants=participant,
                         findings=findings)
        console.print(f"drill 演练 [bold]{row.id}[/] recorded 已记录 ({row.held_on})")


@drill_app.command("list")
def drill_list(config: Optional[Path] = ConfigOpt) -> None:
    """Emergency drills. / 应急演练记录。"""
    from hegui.governance import drills

    sv = services(config)
    table = Table("id", "date 日期", "scenario 场景", "participants 参与人", "findings 发现")
    with sv.db.session() as s:
        for r in drills.listing(s):
            table.add_row(r.id, str(r.held_on), r.scenario, ", ".join(r.participants), r.findings or "—")
    console.print(table)


@review_app.command("add")
def review_add(kind: str = typer.Option(..., "--kind", help="ethics | security"),
               subject: str = typer.Option(..., "--subject", help="feature or model reviewed / 评审对象"),
               reviewer: list[str] = typer.Option(..., "--reviewer", help="repeatable / 评审人"),
               conclusion: str = typer.Option(..., "--conclusion", help="approve | approve_with_conditions | reject"),
               conditions: str = typer.Option("", "--conditions", help="conditions / 附加条件"),
               date: Optional[str] = typer.Option(None, "--date", help="YYYY-MM-DD (default today)"),
               evidence: Optional[list[str]] = EvidenceOpt, config: Optional[Path] = ConfigOpt) -> None:
    """Record an ethics or security review. / 记录科技伦理或安全评审。"""
    from hegui.governance import reviews

    sv = services(config)
    with sv.db.session() as s:
        row = reviews.add(s, actor=actor(), kind=kind, subject=subject, reviewers=reviewer, conclusion=conclusion,
                          reviewed_on=date, conditions=conditions, evidence=evidence or ())
        console.print(f"review 评审 [bold]{row.id}[/] recorded 已记录: {row.conclusion}")


@review_app.command("list")
def review_list(config: Optional[Path] = ConfigOpt) -> None:
    """Ethics and security reviews. / 评审记录。"""
    from hegui.governance import reviews

    sv = services(config)
    table = Table("id", "date 日期", "kind 类型", "subject 对象", "reviewers 评审人", "conclusion 结论", "evidence 证据")
    with sv.db.session() as s:
        for r in reviews.listing(s):
            table.add_row(r.id, str(r.reviewed_on), r.kind, r.subject, ", ".join(r.reviewers), r.conclusion,
                          ", ".join(r.evidence) or "—")
    console.print(table)


from hegui.cli import ops_orders  # noqa: E402  (order and algorithm-review commands)

ops_orders.register(order_app, algo_app)
