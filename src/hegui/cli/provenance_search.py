"""``hegui provenance search FILE`` and ``hegui works register|list|remove|import`` — the
similar-copy search over our labelled outputs and the register of others' protected works
(issue 15; draft AIGC Regulation Arts 4–5, 15; Labeling Measures Art 4).

:func:`register` adds ``search`` to the provenance command group; ``works_app`` is its own group."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from hegui.cli.common import actor as default_actor
from hegui.cli.common import services as load_services
from hegui.errors import HeguiError

works_app = typer.Typer(help="Protected works of others / 受保护作品名录", no_args_is_help=True)
err = Console(stderr=True)
out = Console()
CONFIG_OPT = typer.Option(None, "--config", "-c", help="hegui.toml")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


def _fail(exc: HeguiError) -> None:
    err.print(f"[red]错误 error[/] [{exc.code}] {exc.bilingual()}")
    raise typer.Exit(2) from exc


def _works(config: Optional[Path]):  # noqa: ANN202
    from hegui.provenance.works import ProtectedWorks

    return ProtectedWorks(load_services(config).db)


def search_cmd(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="image or text / 图片或文本"),
               kind: Optional[str] = typer.Option(None, "--kind", help="image | text (default: guessed)"),
               limit: int = typer.Option(10, "--limit", min=1, max=50),
               as_json: bool = typer.Option(False, "--json"), config: Optional[Path] = CONFIG_OPT) -> None:
    """Find our labelled outputs that FILE resembles. / 查找与该文件相似的本服务生成内容。"""
    from hegui.provenance.search import search

    try:
        hits = search(load_services(config).db, file.read_bytes(), kind, limit=limit)
    except HeguiError as exc:
        _fail(exc)
    if as_json:
        out.print_json(json.dumps([{"content_id": h.content_id, "score": h.score, "distance": h.distance}
                                   for h in hits]))
        return
    if not hits:
        out.print("no similar output found 未找到相似的生成内容")
        return
    table = Table("content_id 内容标识", "score 相似度", "distance 距离")
    for h in hits:
        table.add_row(h.content_id, f"{h.score:.3f}", str(h.distance))
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add ``search`` to the ``provenance`` command group."""
    app.command("search")(search_cmd)


@works_app.command("register")
def works_register(file: Path = typer.Argument(..., exists=True, dir_okay=False, help=".txt/.md or an image"),
                   title: Optional[str] = typer.Option(None, "--title", help="default: the file name / 作品名"),
                   holder: str = typer.Option(..., "--holder", help="rights holder / 权利人"),
                   config: Optional[Path] = CONFIG_OPT) -> None:
    """Register a protected text or image. / 登记受保护作品。"""
    kind = "image" if file.suffix.lower() in IMAGE_SUFFIXES else "text"
    try:
        data: bytes | str = file.read_bytes() if kind == "image" else file.read_text(encoding="utf-8")
        row = _works(config).register(kind, data, title or file.name, holder, default_actor())
    except UnicodeDecodeError as exc:
        err.print(f"[red]错误 error[/] {file}: not UTF-8 text / 不是 UTF-8 文本 ({exc.reason} at byte {exc.start})")
        raise typer.Exit(2) from exc
    except HeguiError as exc:
        _fail(exc)
    out.print(f"registered 已登记 {row.kind} {row.id} (sha256 {row.sha256[:16]}…)")


@works_app.command("list")
def works_list(removed: bool = typer.Option(False, "--removed", help="include removed / 含已移除"),
               as_json: bool = typer.Option(False, "--json"), config: Optional[Path] = CONFIG_OPT) -> None:
    """List protected works. / 列出受保护作品。"""
    try:
        rows = _works(config).list(include_removed=removed)
    except HeguiError as exc:
        _fail(exc)
    items = [{"id": r.id, "kind": r.kind, "title": r.title, "holder": r.holder, "length": r.length,
              "active": r.active, "created_at": r.created_at.isoformat()} for r in rows]
    if as_json:
        out.print_json(json.dumps(items, ensure_ascii=False))
        return
    table = Table("kind 类型", "title 作品", "holder 权利人", "active 有效")
    table.add_column("id", no_wrap=True, min_width=32)
    for i in items:
        table.add_row(i["kind"], i["title"], i["holder"], "yes" if i["active"] else "no", i["id"])
    out.print(table)


@works_app.command("remove")
def works_remove(work_id: str = typer.Argument(...), config: Optional[Path] = CONFIG_OPT) -> None:
    """Remove a protected work from the register. / 移除受保护作品。"""
    try:
        row = _works(config).remove(work_id, default_actor())
    except HeguiError as exc:
        _fail(exc)
    out.print(f"removed 已移除 {row.id}")


@works_app.command("import")
def works_import(folder: Path = typer.Argument(..., exists=True, file_okay=False, help="folder of .txt/.md/images"),
                 holder: str = typer.Option(..., "--holder", help="rights holder / 权利人"),
                 config: Optional[Path] = CONFIG_OPT) -> None:
    """Register every text and image in FOLDER. / 批量登记文件夹中的作品。"""
    try:
        done, errors = _works(config).import_dir(folder, holder, default_actor())
    except HeguiError as exc:
        _fail(exc)
    out.print(f"registered 已登记 {len(done)} work(s)")
    for line in errors:
        err.print(f"[yellow]skipped 跳过[/] {line}")
    if errors:
        raise typer.Exit(1)
