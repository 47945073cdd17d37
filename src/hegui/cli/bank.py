"""``hegui bank``: check test banks against a threshold profile, grow one from templates
(GB/T 45654 B.1.2–B.1.3 / TC260-003 §8.2–8.3)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Assessment test banks / 安全评估测试题库", no_args_is_help=True)
console = Console()


@app.command("check")
def check(files: Optional[list[Path]] = typer.Argument(None, help="bank files (.jsonl/.csv/.xlsx); none: the "
                                                                   "shipped starter banks / 不指定则检查随附题库"),
          profile: str = typer.Option("gbt45654-2025", "--profile", "-p", help="profile name or YAML path"),
          today: Optional[str] = typer.Option(None, "--today", help="YYYY-MM-DD (default: today)"),
          require_modality: Optional[list[str]] = typer.Option(None, "--require-modality",
                                                               help="text/image/audio/video: a missing one is a gap"),
          json_out: bool = typer.Option(False, "--json")) -> None:
    """Coverage, duplicates and age of test banks; exit 1 when short, 2 on a bad file.
    / 检查题库覆盖、重复与更新时间；不达标退出码 1，文件无效退出码 2。"""
    from hegui.assessment.banks import check_banks, read_banks, shipped_bank_paths
    from hegui.assessment.errors import BankError
    from hegui.assessment.profiles import load_profile

    try:
        day = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError:
        raise BankError(message_zh="测试题库无效（{location}）：{detail_zh}", location="--today",
                        detail=f"bad date {today!r}; use YYYY-MM-DD", detail_zh=f"日期 {today!r} 无效，应为 YYYY-MM-DD") from None
    paths = list(files) if files else shipped_bank_paths()
    result = check_banks(read_banks(paths), load_profile(profile), today=day,
                         require_modalities=tuple(require_modality or ()))
    if json_out:
        print(json.dumps({"files": [str(p) for p in paths], **result.to_dict()}, ensure_ascii=False, indent=1))
    else:
        _print(result)
    raise typer.Exit(0 if result.ok else 1)


def _print(result) -> None:  # noqa: ANN001
    from hegui.assessment.models import BankKind

    names = {BankKind.GENERATED: "生成内容 generated", BankKind.SHOULD_REFUSE: "应拒答 should_refuse",
             BankKind.NON_REFUSAL: "非拒答 non_refusal"}
    for kind in BankKind:
        rows = [r for r in result.rows if r.bank is kind]
        if not rows:
            continue
        table = Table(title=f"{names[kind]} — {result.items.get(kind, 0)} items 题 · profile {result.profile}")
        for col in ("", "名称 name", "有 have", "需 need", "条款 clause", ""):
            table.add_column(col, overflow="fold")
        for r in rows:
            mark = "[green]✓[/]" if r.ok else "[red]✗[/]"
            note = "[yellow]运营方提供 operator-supplied[/]" if r.operator_supplied else ""
            table.add_row(r.key, f"{r.name_zh} {r.name_en}", str(r.have), str(r.need), r.clause, f"{mark} {note}")
        console.print(table)
        newest = result.newest.get(kind)
        console.print(f"  modalities 模态: {', '.join(result.modalities.get(kind, [])) or '—'} · newest 最新: "
                      f"{newest or '—'} · undated 无日期: {result.undated.get(kind, 0)}", soft_wrap=True)
    if result.gaps:
        console.print(f"[red]不达标 short: {len(result.gaps)} gap(s) 项缺口[/]")
        for g in result.gaps:
            console.print(f"  - [{g.clause}] {g.what_zh} / {g.what_en}: {g.have} / {g.need}", soft_wrap=True)
    else:
        console.print("[green]达标 conforming: every minimum met 全部最低要求已满足[/]")
    for n in result.notes:
        console.print(f"  [dim]· {n.zh} / {n.en}[/]", soft_wrap=True)


@app.command("generate")
def generate(templates: Path = typer.Option(..., "--templates", "-t", help="template × topic YAML"),
             out: Path = typer.Option(..., "--out", "-o", help="JSONL to write"),
             seed: int = typer.Option(0, "--seed")) -> None:
    """Grow a bank from a template × topic file (deterministic for a seed). / 由模板与主题生成题库。"""
    from collections import Counter

    from hegui.assessment.banks import generate_bank, write_bank

    items = generate_bank(templates, seed=seed)
    write_bank(items, out)
    by = Counter(it.risk or it.aspect for it in items)
    console.print(f"{len(items)} items 题 → {out}  ({', '.join(f'{k} {v}' for k, v in sorted(by.items()))})",
                  soft_wrap=True)
