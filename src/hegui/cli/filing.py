"""``hegui filing dossier`` (the filing package, or ``--check`` what is missing) and ``hegui filing
status`` (the 10-working-day clock from launch, Alg. Rec. Art 24). Exit codes: 0 nothing required
is missing (status: filed or within the deadline), 1 something is (status: overdue or no launch
date), 2 an error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hegui.errors import HeguiError

app = typer.Typer(help="Filing dossier and clock / 备案材料与备案期限", no_args_is_help=True)
out = Console()
err = Console(stderr=True)
ConfigOpt = typer.Option(None, "--config", "-c", help="path to hegui.toml")
COLORS = {"ok": "green", "missing": "red", "flagged": "yellow", "to_sign": "cyan"}


def _dossier(config: Optional[Path], with_db: bool):  # noqa: ANN202
    from hegui.filing import Dossier
    from hegui.obligations.filing import filing_clock
    from hegui.settings import load_settings

    settings = load_settings(config)
    db = None
    if not with_db:  # --check writes nothing, not even a database
        return Dossier(settings, filing_clock(settings))
    try:
        from hegui.app import build_services

        db = build_services(settings, lazy=True).db
    except Exception:  # noqa: BLE001 — active-user counts are optional; the dossier is built without them
        db = None
    return Dossier(settings, filing_clock(settings), db=db)


@app.command("dossier")
def dossier(kind: str = typer.Option(..., "--kind", help="algorithm | model | registration / 备案类型"),
            out_dir: Optional[Path] = typer.Option(None, "--out", help="output folder (new or empty) / 输出目录"),
            check: bool = typer.Option(False, "--check", help="list what is missing; write nothing / 仅检查"),
            json_out: bool = typer.Option(False, "--json", help="machine-readable output"),
            config: Optional[Path] = ConfigOpt) -> None:
    """Build the filing dossier from live data, or --check it. / 生成备案材料，或检查缺失项。"""
    from hegui.filing import Track, build, run_pieces

    try:
        track = Track(kind)
    except ValueError:
        err.print(f"[red]--kind 须为 algorithm、model 或 registration / --kind must be algorithm, model or registration: {kind!r}[/]")
        raise typer.Exit(2) from None
    if not check and out_dir is None:
        err.print("[red]需要 --out 目录，或使用 --check / --out DIR is required unless --check[/]")
        raise typer.Exit(2)
    try:
        d = _dossier(config, with_db=not check)
        if check:
            outcomes = run_pieces(d, track)
            pieces = [o.to_dict() for o in outcomes]
        else:
            manifest = build(d, track, out_dir)  # type: ignore[arg-type]
            pieces = manifest["pieces"]
    except HeguiError as exc:
        err.print(f"[red]{exc.bilingual()}[/]")
        raise typer.Exit(2) from exc
    missing = [p for p in pieces if p["status"] == "missing"]
    if json_out:
        print(json.dumps({"track": track.value, "filing_clock": d.clock.to_dict(), "pieces": pieces,
                          "complete": not missing}, ensure_ascii=False, indent=1))
        raise typer.Exit(1 if missing else 0)
    table = Table(title=f"{track.zh} {track.value} — {'检查 check' if check else out_dir}", show_lines=True)
    for col in ("#", "材料 Piece", "状态 Status", "义务 Duty", "说明与处理 Reason and fix"):
        table.add_column(col, overflow="fold")
    for p in pieces:
        c = COLORS[p["status"]]
        fix = f"\n→ {p['fix_zh']}\n→ {p['fix_en']}" if p["fix_zh"] else ""
        table.add_row(str(p["no"]), escape(f"{p['title_zh']}\n{p['title_en']}"), f"[{c}]{p['status']}[/]",
                      escape(p["duty"]), escape(f"{p['reason_zh']}\n{p['reason_en']}{fix}"))
    out.print(table)
    zh, en = d.clock.lines()
    out.print(escape(f"备案期限 filing clock: {zh} / {en}"))
    if not check:
        out.print(escape(f"写入 written: {out_dir}/ , {out_dir}/dossier.pdf , {Path(str(out_dir) + '.zip')}"))
    if missing:
        out.print(f"[red]{len(missing)} 项缺失 piece(s) missing: {', '.join(p['id'] for p in missing)}[/]")
    else:
        out.print("[green]必需材料齐备（待签署项须签字盖章） all required pieces present (sign the to-sign ones)[/]")
    raise typer.Exit(1 if missing else 0)


@app.command("status")
def status(json_out: bool = typer.Option(False, "--json"), config: Optional[Path] = ConfigOpt) -> None:
    """The 10-working-day filing clock from launch. / 上线后十个工作日备案期限。"""
    from hegui.obligations.filing import filing_clock
    from hegui.settings import load_settings

    try:
        clock = filing_clock(load_settings(config))
    except HeguiError as exc:
        err.print(f"[red]{exc.bilingual()}[/]")
        raise typer.Exit(2) from exc
    bad = clock.state in ("overdue", "no_launch_date")
    if json_out:
        print(json.dumps(clock.to_dict(), ensure_ascii=False, indent=1))
        raise typer.Exit(1 if bad else 0)
    zh, en = clock.lines()
    out.print(f"[{'red' if bad else 'green'}]{escape(zh)}\n{escape(en)}[/]")
    out.print(escape(f"算法备案号 algorithm filing no.: {clock.filing_number or '—（未设置 not set）'}"))
    out.print(escape(f"大模型备案号 model filing no.: {clock.model_filing_number or '—（未设置 not set）'}"))
    raise typer.Exit(1 if bad else 0)
