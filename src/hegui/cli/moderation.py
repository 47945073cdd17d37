"""``hegui moderate`` (batch moderation of JSONL) and ``hegui lexicon report`` (keyword coverage).

Thin shells over :mod:`hegui.moderation.engine` and :mod:`hegui.moderation.coverage`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import orjson
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from hegui.errors import HeguiError
from hegui.fileio import atomic_open
from hegui.moderation.base import CheckContext, Direction

console = Console(stderr=True)
lexicon_app = typer.Typer(help="Keyword library / 关键词库", no_args_is_help=True)

MAX_LINE_BYTES = 16 * 1024 * 1024
_READ = 1 << 20  # a longer line is skipped in pieces of this size, never held whole


def _load_moderator(packs: list[Path], profile: str, classifier: bool, no_shipped: bool):
    from hegui.moderation.engine import PolicyModerator

    return PolicyModerator.load(packs or None, include_shipped=not no_shipped, profile=profile,
                                classifier="default" if classifier else None, auto_reload_s=None)


def _records(fh: BinaryIO, progress: Progress, task: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) per line; ``None`` for a line over :data:`MAX_LINE_BYTES`, which is
    skipped without being held in memory."""
    no = 0
    while True:
        line = fh.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        no += 1
        progress.advance(task, len(line))
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while True:  # skip the rest of the line
                part = fh.readline(_READ)
                progress.advance(task, len(part))
                if not part or part.endswith(b"\n"):
                    break
            yield no, None
            continue
        yield no, line


def _same_file(a: Path, b: Path) -> bool:
    try:
        return b.exists() and os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def moderate(
    in_path: Path = typer.Option(..., "--in", exists=True, dir_okay=False, help="JSONL input / 输入文件"),
    field: str = typer.Option("text", "--field", help="field holding the text / 文本字段"),
    direction: Direction = typer.Option(Direction.INPUT, "--direction", help="input | output"),
    out: Path = typer.Option(..., "--out", help="verdicts JSONL / 结果文件"),
    pack: list[Path] = typer.Option([], "--pack", help="extra pack directory (repeatable) / 额外策略包"),
    no_shipped: bool = typer.Option(False, "--no-shipped", help="do not load the shipped packs / 不加载内置策略包"),
    profile: str = typer.Option("default", "--profile", help="policy profile: default | minor"),
    classifier: bool = typer.Option(True, "--classifier/--no-classifier", help="use the shipped classifier"),
    evidence: bool = typer.Option(False, "--evidence", help="include evidence spans / 输出证据"),
    in_place: bool = typer.Option(False, "--in-place", help="allow --out to be the input file (replaced "
                                                            "atomically) / 允许覆盖输入文件"),
) -> None:
    """Moderate every line of a JSONL file; one verdict line per input line. / 批量审核 JSONL。

    Verdict lines carry ``action`` (allow, flag, mask, guide, refuse, block), ``guidance`` (the
    guided risk ids) and ``degraded`` (components that could not judge the line)."""
    if _same_file(in_path, out) and not in_place:
        console.print("[red]--out 与 --in 是同一个文件：输入会被结果替换。确需如此请加 --in-place。\n"
                      "--out is the input file: it would be replaced by the verdicts. Add --in-place to do so.[/]")
        raise typer.Exit(2)
    try:
        moderator = _load_moderator(pack, profile, classifier, no_shipped)
    except HeguiError as exc:
        console.print(f"[red]{exc.bilingual()}[/]")
        raise typer.Exit(2) from exc
    for name, status in getattr(moderator, "components", {}).items():
        if str(status).startswith("unavailable"):
            console.print(f"[yellow]审核组件不可用，结果将标记为降级并按 on_degraded 处理 / moderation component "
                          f"unavailable, verdicts are degraded and on_degraded applies: {name}: {status}[/]")
    ctx = CheckContext(profile=profile)
    counts: dict[str, int] = {}
    columns = (TextColumn("{task.description}"), BarColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with atomic_open(out) as sink, in_path.open("rb") as src, \
            Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("moderating 审核中", total=in_path.stat().st_size)
        for no, line in _records(src, progress, task):
            rec = _verdict_line(moderator, line, no, field, direction, ctx, evidence)
            counts[rec.get("action", "error")] = counts.get(rec.get("action", "error"), 0) + 1
            sink.write(_dumps(rec) + b"\n")
    summary = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    console.print(f"wrote 写入 {out}: {summary or 'no lines 无数据'}  ({moderator.label})")


def _verdict_line(moderator, line: bytes | None, no: int, field: str, direction: Direction,
                  ctx: CheckContext, evidence: bool) -> dict:
    if line is None or len(line) > MAX_LINE_BYTES:
        return _error(no, no, "LINE_TOO_LONG", f"line {no} longer than {MAX_LINE_BYTES} bytes, skipped",
                      f"第 {no} 行超过 {MAX_LINE_BYTES} 字节，已跳过")
    if not line.strip():
        return _error(no, no, "EMPTY_LINE", f"line {no} is empty", f"第 {no} 行为空")
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _error(no, no, "NOT_UTF8", f"line {no} is not UTF-8 (byte {exc.start})",
                      f"第 {no} 行不是 UTF-8 编码（第 {exc.start} 字节）")
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        try:  # the stdlib accepts what orjson refuses, e.g. escaped lone surrogates
            obj = json.loads(line)
        except (ValueError, RecursionError) as exc:
            return _error(no, no, "BAD_JSON", f"line {no} is not valid JSON: {str(exc)[:200]}",
                          f"第 {no} 行不是有效的 JSON")
    if not isinstance(obj, dict):
        return _error(no, no, "NOT_OBJECT", f"line {no} is not a JSON object", f"第 {no} 行不是 JSON 对象")
    rid = obj.get("id", no)
    if not isinstance(rid, (str, int, float)):
        rid = no
    text = obj.get(field)
    if not isinstance(text, str):
        return _error(rid, no, "MISSING_FIELD", f"line {no}: field {field!r} missing or not a string",
                      f"第 {no} 行：字段 {field!r} 缺失或不是字符串")
    try:
        v = moderator.check(text, direction, ctx)
    except Exception as exc:  # noqa: BLE001 - one bad record must not stop a batch
        return _error(rid, no, "CHECK_FAILED", f"line {no}: {type(exc).__name__}: {str(exc)[:200]}",
                      f"第 {no} 行审核失败")
    rec: dict = {"id": rid, "action": v.action.value,
                 "risks": [{"id": r.risk_id, "score": round(r.score, 4)} for r in v.risks],
                 "decided_by": v.decided_by}
    if evidence:
        rec["evidence"] = [r.to_dict()["evidence"] for r in v.risks]
    if v.masked_text is not None:
        rec["masked_text"] = v.masked_text
    if v.guidance:
        rec["guidance"] = [g.risk_id for g in v.guidance]
    if v.degraded:
        rec["degraded"] = list(v.degraded)
    return rec


def _dumps(rec: dict) -> bytes:
    try:
        return orjson.dumps(rec)
    except TypeError:  # lone surrogates in echoed text: escape them
        return json.dumps(rec, ensure_ascii=True).encode()


def _error(rid: object, no: int, code: str, en: str, zh: str) -> dict:
    return {"id": rid, "line": no, "error": {"code": code, "message_en": en, "message_zh": zh}}


@lexicon_app.command("report")
def report(
    pack: list[Path] = typer.Option([], "--pack", help="extra pack directory (repeatable) / 额外策略包"),
    no_shipped: bool = typer.Option(False, "--no-shipped", help="do not load the shipped packs"),
    profile: str = typer.Option("gbt45654-2025", "--profile",
                                help="threshold profile: tc260-003-2024 | gbt45654-draft | gbt45654-2025"),
    json_out: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Terms per risk against the GB/T 45654 minimums, every gap listed. / 关键词库覆盖率报告。"""
    from hegui.moderation.coverage import coverage
    from hegui.moderation.engine import _resolve_dirs
    from hegui.moderation.packs.loader import load_packs

    out = Console()
    try:
        packs = load_packs(_resolve_dirs(pack, not no_shipped), replace=True)
        rep = coverage((t for p in packs for t in p.terms), profile=profile)
    except HeguiError as exc:
        console.print(f"[red]{exc.bilingual()}[/]")
        raise typer.Exit(2) from exc
    if json_out:
        data = rep.to_dict()
        data["packs"] = [p.label for p in packs]
        out.print_json(orjson.dumps(data).decode())
        raise typer.Exit(0 if rep.meets else 1)
    table = Table(title=f"关键词库覆盖 keyword coverage — {rep.clause} [{rep.profile}@{rep.profile_version}]")
    for col in ("id", "风险 risk", "class", "terms 词数", "min 最低", "gap 缺口"):
        table.add_column(col)
    for r in rep.risks:
        style = "red" if r.gap else None
        table.add_row(r.risk_id, f"{r.name_zh} / {r.name_en}", r.risk_class, str(r.terms),
                      str(r.minimum or "-"), str(r.gap or ""), style=style)
    out.print(table)
    out.print(f"packs 策略包: {', '.join(p.label for p in packs)}")
    out.print(f"total 总数: {rep.total} / {rep.total_minimum}" + (f"  gap 缺口 {rep.total_gap}" if rep.total_gap else ""))
    if rep.meets:
        out.print("[green]meets the minimums 满足最低要求[/]")
    else:
        out.print(f"[red]{len(rep.gaps)} risks below their minimum 项风险未达最低要求"
                  + (f"; total short by 总数缺 {rep.total_gap}" if rep.total_gap else "") + "[/]")
        for g in rep.gaps:
            out.print(f"  - {g.risk_id} {g.name_zh} / {g.name_en}: {g.terms} < {g.minimum} (gap 缺 {g.gap})")
    raise typer.Exit(0 if rep.meets else 1)
