"""``hegui ops order …`` and ``hegui ops algorithm-review …`` (see :mod:`hegui.cli.ops`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

ConfigOpt = typer.Option(None, "--config", "-c", help="path to hegui.toml")
EvidenceOpt = typer.Option(None, "--evidence", help="file, link or record id (repeatable) / 证据")


def register(order_app: typer.Typer, algo_app: typer.Typer) -> None:
    from hegui.cli.common import actor as _actor, services as _services
    from hegui.cli.ops import _t, console

    @order_app.command("add")
    def order_add(authority: str = typer.Option(..., "--authority", help="issuing authority / 发出机关"),
                  reference: str = typer.Option(..., "--reference", help="document number / 文号"),
                  content: str = typer.Option(..., "--content", help="what is ordered / 命令内容"),
                  received: Optional[str] = typer.Option(None, "--received", help="YYYY-MM-DD (default today)"),
                  deadline: Optional[str] = typer.Option(None, "--deadline", help="rectification deadline YYYY-MM-DD"),
                  task: Optional[list[str]] = typer.Option(None, "--task", help="repeatable / 整改任务"),
                  evidence: Optional[list[str]] = EvidenceOpt,
                  suspend: bool = typer.Option(False, "--suspend", help="the order suspends the service: the "
                                                                      "gateway refuses requests / 责令暂停服务"),
                  config: Optional[Path] = ConfigOpt) -> None:
        """Record a regulator order. / 登记监管命令。"""
        from hegui.governance import orders

        sv = _services(config)
        with sv.db.session() as s:
            row = orders.add(s, actor=_actor(), authority=authority, reference=reference, content=content,
                             received_on=received, deadline=deadline, tasks=task or (), evidence=evidence or (),
                             suspension=suspend)
            console.print(f"order 命令 [bold]{row.id}[/] recorded 已登记; deadline 整改期限 {_t(row.deadline)}")
            if row.suspension:
                console.print("[red]service suspension in force: the gateway refuses generation requests until the "
                              "order is closed or the suspension lifted / 暂停服务生效：关闭命令或解除暂停前网关拒绝生成请求[/]",
                              soft_wrap=True)

    @order_app.command("task-done")
    def order_task_done(order_id: str = typer.Argument(...), task: int = typer.Argument(..., help="task number (1…)"),
                        evidence: Optional[list[str]] = EvidenceOpt, config: Optional[Path] = ConfigOpt) -> None:
        """Mark a rectification task done. / 标记整改任务完成。"""
        from hegui.governance import orders

        sv = _services(config)
        with sv.db.session() as s:
            row = orders.task_done(s, order_id, task, actor=_actor(), evidence=evidence or ())
            done = sum(1 for t in row.tasks if t.get("done"))
            console.print(f"order 命令 {row.id}: task 任务 {task} done 完成 ({done}/{len(row.tasks)})")

    @order_app.command("close")
    def order_close(order_id: str = typer.Argument(...), evidence: Optional[list[str]] = EvidenceOpt,
                    config: Optional[Path] = ConfigOpt) -> None:
        """Close an order (all tasks done, evidence given). / 关闭命令（任务完成并有证据）。"""
        from hegui.governance import orders

        sv = _services(config)
        with sv.db.session() as s:
            row = orders.close(s, order_id, actor=_actor(), evidence=evidence or ())
            console.print(f"order 命令 {row.id} closed 已关闭")

    @order_app.command("lift")
    def order_lift(order_id: str = typer.Argument(...), note: str = typer.Option(..., "--note", help="the "
                   "authority's decision / 解除依据"), config: Optional[Path] = ConfigOpt) -> None:
        """Record that the authority lifted an ordered suspension. / 记录解除暂停服务。"""
        from hegui.governance import orders

        sv = _services(config)
        with sv.db.session() as s:
            row = orders.lift_suspension(s, order_id, actor=_actor(), note=note)
            console.print(f"order 命令 {row.id}: suspension lifted 暂停已解除")

    @order_app.command("list")
    def order_list(config: Optional[Path] = ConfigOpt) -> None:
        """Regulator orders. / 监管命令。"""
        from hegui.governance import orders

        sv = _services(config)
        table = Table("id", "received 收到", "authority 机关", "reference 文号", "deadline 期限", "tasks 任务",
                      "suspension 暂停", "closed 关闭")
        with sv.db.session() as s:
            for r in orders.listing(s):
                done = sum(1 for t in r.tasks if t.get("done"))
                deadline = _t(r.deadline)
                live = r.suspension and r.suspension_lifted_at is None and r.closed_at is None
                table.add_row(r.id, str(r.received_on), r.authority, r.reference,
                              f"[red]{deadline} OVERDUE 逾期[/]" if orders.overdue(r) else deadline,
                              f"{done}/{len(r.tasks)}", "[red]IN FORCE 生效中[/]" if live else ("lifted 已解除"
                              if r.suspension else "—"), _t(r.closed_at))
        console.print(table)

    @algo_app.command("run")
    def algo_run(reviewer: str = typer.Option(..., "--reviewer", help="who reviews / 审核人"),
                 scope: str = typer.Option("mechanism, models and policies / 机理、模型与策略", "--scope"),
                 conclusion: str = typer.Option(..., "--conclusion", help="the reviewer's conclusion / 结论"),
                 config: Optional[Path] = ConfigOpt) -> None:
        """Capture the versions in force, record the review, print the diff. / 记录算法审核并显示变更。"""
        from hegui.governance import algorithm

        sv = _services(config)
        versions = algorithm.capture(sv)
        with sv.db.session() as s:
            row = algorithm.run(s, versions, reviewer=reviewer, scope=scope, conclusion=conclusion, actor=_actor())
            console.print(f"algorithm review 算法审核 [bold]{row.id}[/] recorded 已记录 ({len(versions)} versions 项版本)")
            print_diff(console, row.diff)

    @algo_app.command("list")
    def algo_list(config: Optional[Path] = ConfigOpt) -> None:
        """Algorithm reviews with the number of changes since the previous one. / 算法审核记录。"""
        from hegui.governance import algorithm

        sv = _services(config)
        table = Table("id", "date 日期", "reviewer 审核人", "scope 范围", "changes 变更", "conclusion 结论")
        with sv.db.session() as s:
            for r in algorithm.listing(s):
                d = r.diff or {}
                n = len(d.get("added", {})) + len(d.get("removed", {})) + len(d.get("changed", {}))
                table.add_row(r.id, _t(r.reviewed_at), r.reviewer, r.scope,
                              "first 首次" if not d.get("previous") else str(n), r.conclusion)
        console.print(table)


def print_diff(console, diff: dict) -> None:  # noqa: ANN001
    if not diff.get("previous"):
        console.print("first review: every version is new / 首次审核：全部版本均为新增")
    if not (diff.get("added") or diff.get("removed") or diff.get("changed")):
        console.print("no change since the previous review / 与上次审核相比无变更")
        return
    table = Table("change 变更", "key 项", "before 之前", "now 现在")
    for k, v in diff.get("changed", {}).items():
        table.add_row("changed 变更", k, str(v[0]), str(v[1]))
    for k, v in diff.get("added", {}).items():
        table.add_row("added 新增", k, "—", str(v))
    for k, v in diff.get("removed", {}).items():
        table.add_row("removed 移除", k, str(v), "—")
    console.print(table)
