"""``hegui provenance list|chain`` — the creative-process records of a user's outputs, and the check
of their per-user hash chain (issue 15; *Li v. Liu*, Beijing Internet Court, 2023). ``--user`` is an
internal user id, or with ``--app`` the app's end user (external id)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from hegui.cli.common import services

app = typer.Typer(help="Creation provenance records / 创作过程记录", no_args_is_help=True)
console = Console()
ConfigOpt = typer.Option(None, "--config", "-c", help="path to hegui.toml")
UserOpt = typer.Option(..., "--user", help="user id, or with --app the app's end user / 用户")
AppOpt = typer.Option(None, "--app", help="app id: --user is then its end user's external id / 应用")


def _store_and_user(config: Optional[Path], user: str, app_id: Optional[str]):  # noqa: ANN202
    from hegui.provenance.records import ProvenanceStore

    sv = services(config)
    if app_id:
        with sv.db.session() as s:
            user = sv.identity.get(s, app_id, user).id
    return ProvenanceStore(sv.db, sv.keys), user


@app.command("list")
def list_(user: str = UserOpt, app_id: Optional[str] = AppOpt, config: Optional[Path] = ConfigOpt) -> None:
    """The user's records, oldest first. / 列出用户的创作过程记录。"""
    st, uid = _store_and_user(config, user, app_id)
    rows = st.chain(uid)
    console.print("seq  content_id  endpoint  model  parent 父  selected 选定  erased 已删除  created 时间", style="bold")
    for r in rows:
        console.print(f"{r.seq}  {r.content_id}  {r.endpoint}  {r.model or '-'}  {r.parent_content_id or '-'}  "
                      f"{'selected 已选定' if r.selected_at else '-'}  {'erased 已删除' if r.deleted_at else '-'}  "
                      f"{str(r.created_at)[:19]}", soft_wrap=True, highlight=False)
    console.print(f"{len(rows)} record(s) 条记录")


@app.command("chain")
def chain(user: str = UserOpt, app_id: Optional[str] = AppOpt, config: Optional[Path] = ConfigOpt) -> None:
    """Verify the user's hash chain; exit 1 naming each problem. / 校验用户记录的哈希链。"""
    st, uid = _store_and_user(config, user, app_id)
    problems = st.verify_chain(uid)
    n = len(st.chain(uid))
    if problems:
        for p in problems:
            console.print(f"[red]✗[/] {p}")
        console.print(f"chain broken 哈希链已被破坏: {len(problems)} problem(s) in {n} record(s)")
        raise typer.Exit(1)
    console.print(f"chain intact 哈希链完整: {n} record(s) 条记录")


def _register_more() -> None:
    """The evidence package (export, verify, init-signer) and the copy search add their commands here."""
    import importlib

    for module in ("hegui.cli.provenance_package", "hegui.cli.provenance_search"):
        try:
            importlib.import_module(module).register(app)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


_register_more()
