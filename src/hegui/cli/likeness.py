"""``hegui likeness register|list|remove|match`` — the registry of protected voices and faces
(:mod:`hegui.likeness.registry`; Deep Synthesis Provisions Art 14)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from hegui.errors import HeguiError

app = typer.Typer(help="Protected voices and faces / 受保护的声音与肖像名录", no_args_is_help=True)
err = Console(stderr=True)
out = Console()
CONFIG_OPT = typer.Option(None, "--config", "-c", help="hegui.toml")
KIND_ARG = typer.Argument(..., help="voice | face")


def _registry(config: Optional[Path]):  # noqa: ANN202
    from hegui.app import build_services
    from hegui.likeness.registry import LikenessRegistry
    from hegui.settings import load_settings

    services = build_services(load_settings(config), lazy=True)
    services.db.upgrade()
    return LikenessRegistry.open(services.db, services.keys)


def _fail(exc: HeguiError) -> None:
    err.print(f"[red]错误 error[/] [{exc.code}] {exc.bilingual()}")
    raise typer.Exit(2) from exc


@app.command("register")
def register(kind: str = KIND_ARG,
             sample: Path = typer.Argument(..., exists=True, dir_okay=False, help="audio clip or portrait / 样本"),
             label: str = typer.Option(..., "--label", help="who this is (stored encrypted) / 姓名或名称（加密存储）"),
             holder: str = typer.Option(..., "--holder", help="rights holder or operator / 权利人"),
             subject_ref: Optional[str] = typer.Option(None, "--subject-ref", help="operator's subject reference (HMAC kept)"),
             actor: str = typer.Option("cli", "--actor", help="who records this (audit) / 操作人"),
             config: Optional[Path] = CONFIG_OPT) -> None:
    """Register a protected voice or portrait. / 登记受保护的声音或肖像。"""
    try:
        row = _registry(config).register(kind, sample.read_bytes(), label, holder, f"cli:{actor}", subject_ref)
    except HeguiError as exc:
        _fail(exc)
    out.print(f"registered 已登记 {row.kind} {row.id} (sha256 {row.sample_sha256[:16]}…, {row.encoder})")


@app.command("list")
def list_(kind: Optional[str] = typer.Argument(None, help="voice | face (default both)"),
          removed: bool = typer.Option(False, "--removed", help="include removed entries / 含已移除"),
          as_json: bool = typer.Option(False, "--json"), config: Optional[Path] = CONFIG_OPT) -> None:
    """List protected entries. / 列出受保护条目。"""
    try:
        reg = _registry(config)
        rows = reg.list(kind, include_removed=removed)
        items = [{"id": r.id, "kind": r.kind, "label": reg.label(r), "holder": r.holder, "encoder": r.encoder,
                  "active": r.active, "created_at": r.created_at.isoformat(),
                  "removed_at": r.removed_at.isoformat() if r.removed_at else None} for r in rows]
    except HeguiError as exc:
        _fail(exc)
    if as_json:
        out.print_json(json.dumps(items, ensure_ascii=False))
        return
    table = Table("id", "kind 类型", "label 名称", "holder 权利人", "active 有效", "created 登记于")
    for i in items:
        table.add_row(i["id"], i["kind"], i["label"], i["holder"], "yes 是" if i["active"] else "no 否", i["created_at"][:19])
    out.print(table)


@app.command("remove")
def remove(likeness_id: str = typer.Argument(...), actor: str = typer.Option("cli", "--actor"),
           config: Optional[Path] = CONFIG_OPT) -> None:
    """Remove (deactivate) an entry. / 移除条目（保留记录，不再比对）。"""
    try:
        row = _registry(config).remove(likeness_id, f"cli:{actor}")
    except HeguiError as exc:
        _fail(exc)
    out.print(f"removed 已移除 {row.id}")


@app.command("match")
def match(kind: str = KIND_ARG, sample: Path = typer.Argument(..., exists=True, dir_okay=False),
          config: Optional[Path] = CONFIG_OPT) -> None:
    """Compare a sample with the registry (exit 1 on a match). / 与名录比对（命中时退出码 1）。"""
    try:
        found = _registry(config).match(kind, sample.read_bytes())
    except HeguiError as exc:
        _fail(exc)
    if found is None:
        out.print("no match 未命中")
        return
    out.print(f"match 命中 {found.likeness_id} score {found.score:.4f} ≥ threshold {found.threshold:.4f}")
    raise typer.Exit(1)
