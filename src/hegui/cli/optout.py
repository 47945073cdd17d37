"""``hegui optout add|list|import|show`` — the rights holders' opt-out registry
(:mod:`hegui.corpus.optout`; Interim Measures Art 7 (2))."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from hegui.errors import HeguiError

app = typer.Typer(help="Rights holders' training opt-outs / 权利人退出训练请求登记", no_args_is_help=True)
err = Console(stderr=True)
out = Console()

REGISTRY_OPT = typer.Option(None, "--registry", help="registry file (default <var_dir>/corpus/optouts.jsonl) / 登记文件")
CONFIG_OPT = typer.Option(None, "--config", help="hegui.toml")


def _path(registry: Path | None, config: Path | None) -> Path:
    if registry is not None:
        return registry
    from hegui.settings import load_settings

    return Path(load_settings(config).var_dir) / "corpus" / "optouts.jsonl"


def _fail(exc: HeguiError) -> None:
    err.print(f"[red]{exc.bilingual()}[/]")
    raise typer.Exit(2) from exc


@app.command("add")
def add(requester: str = typer.Option(..., "--requester", help="requester's name as given / 请求人"),
        contact: str = typer.Option("", "--contact", help="contact (only its SHA-256 is kept) / 联系方式（仅存哈希）"),
        received: str = typer.Option(date.today().isoformat(), "--received", help="date received YYYY-MM-DD / 收到日期"),
        url_pattern: list[str] = typer.Option([], "--url-pattern", help="URL glob, e.g. https://ex.com/news/* (repeatable)"),
        domain: list[str] = typer.Option([], "--domain", help="domain incl. subdomains (repeatable) / 域名"),
        text_file: list[Path] = typer.Option([], "--text-file", exists=True, dir_okay=False,
                                             help="sample text: its hash and MinHash are kept, not the text / 样本文本"),
        hash_: list[str] = typer.Option([], "--hash", help="content hash sha256:<hex> of the normalised text"),
        note: str = typer.Option("", "--note"),
        registry: Path | None = REGISTRY_OPT, config: Path | None = CONFIG_OPT) -> None:
    """Register one request. / 登记一项退出请求。"""
    from hegui.corpus.optout import OptOutRegistry, OptOutRequest, contact_digest

    try:
        reg = OptOutRegistry.load(_path(registry, config))
        req = OptOutRequest(id="", requester=requester, received=received, contact_sha256=contact_digest(contact),
                            url_patterns=list(url_pattern), domains=list(domain), hashes=list(hash_), note=note)
        for f in text_file:
            req.add_text(f.read_text(encoding="utf-8", errors="replace"))
        reg.add(req)
        path = reg.save()
    except HeguiError as exc:
        _fail(exc)
    err.print(f"登记 registered {req.id} → {path}")
    out.print(req.id)


@app.command("list")
def list_(json_out: bool = typer.Option(False, "--json"), registry: Path | None = REGISTRY_OPT,
          config: Path | None = CONFIG_OPT) -> None:
    """List the requests (fingerprints counted, not shown). / 列出退出请求。"""
    from hegui.corpus.optout import OptOutRegistry

    try:
        reg = OptOutRegistry.load(_path(registry, config))
    except HeguiError as exc:
        _fail(exc)
    if json_out:
        out.print_json(json.dumps([r.public() for r in reg.requests], ensure_ascii=False))
        return
    table = Table(title=f"退出请求 opt-out requests ({len(reg.requests)})")
    for col in ("id", "requester 请求人", "received 收到", "urls", "domains 域名", "hashes", "fingerprints", "note"):
        table.add_column(col)
    for r in reg.requests:
        table.add_row(r.id, r.requester, r.received, str(len(r.url_patterns)), ", ".join(r.domains)[:60],
                      str(len(r.hashes)), str(len(r.fingerprints)), r.note[:40])
    out.print(table)


@app.command("import")
def import_(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV or JSONL of requests"),
            registry: Path | None = REGISTRY_OPT, config: Path | None = CONFIG_OPT) -> None:
    """Import requests from CSV/JSONL; all or nothing, errors with file:line. / 批量导入。"""
    from hegui.corpus.optout import OptOutRegistry, import_requests

    try:
        reg = OptOutRegistry.load(_path(registry, config))
        added = import_requests(reg, file)
        path = reg.save()
    except HeguiError as exc:
        _fail(exc)
    err.print(f"导入 imported {len(added)} → {path}: {', '.join(r.id for r in added)}")


@app.command("show")
def show(request_id: str = typer.Argument(...),
         decisions: Path | None = typer.Option(None, "--decisions", exists=True, dir_okay=False,
                                               help="an audit's decisions.jsonl / 审计决定文件"),
         json_out: bool = typer.Option(False, "--json"), registry: Path | None = REGISTRY_OPT,
         config: Path | None = CONFIG_OPT) -> None:
    """One request and what an audit excluded for it (ids, sources, URLs — never text). / 显示请求及排除的记录。"""
    from hegui.corpus.optout import OptOutRegistry, excluded_for

    try:
        reg = OptOutRegistry.load(_path(registry, config))
        req = reg.get(request_id)
        if req is None:
            err.print(f"[red]无此请求 no such request: {request_id}[/]")
            raise typer.Exit(1)
        rows = excluded_for(request_id, decisions) if decisions else []
    except HeguiError as exc:
        _fail(exc)
    if json_out:
        out.print_json(json.dumps({"request": req.public(), "excluded": rows}, ensure_ascii=False))
        return
    out.print(f"{req.id}  {req.requester}  {req.received}  urls={req.url_patterns} domains={req.domains} "
              f"hashes={len(req.hashes)} fingerprints={len(req.fingerprints)}")
    if decisions:
        table = Table(title=f"已排除 excluded: {len(rows)}")
        for col in ("id", "source 来源", "url", "match 匹配"):
            table.add_column(col)
        for row in rows:
            table.add_row(str(row["id"]), str(row["source"]), str(row["url"] or ""), str(row["match"] or ""))
        out.print(table)
