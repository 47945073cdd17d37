"""``hegui moderate`` (batch moderation of JSONL) and ``hegui lexicon report`` (keyword coverage).

Thin shells over :mod:`hegui.moderation.engine` and :mod:`hegui.moderation.coverage`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

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


def _load_moderator(packs: list[Path], profile: str, classifier: bool, no_shipped: bool):
    from hegui.moderation.engine import PolicyModerator

    return PolicyModerator.load(packs or None, include_shipped=not no_shipped, profile=profile,
                                classifier="default" if classifier else None, auto_reload_s=None)


def _records(fh, progress: Progress, task: int) -> Iterator[tuple[int, bytes]]:
    for no, line in enumerate(fh, start=1):
        progress.advance(task, len(line))
        yield no, line


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
) -> None:
    """Moderate every line of a JSONL file; one verdict line per input line. / 批量审核 JSONL。"""
    try:
        moderator = _load_moderator(pack, profile, classifier, no_shipped)
    except HeguiError as exc:
        console.print(f"[red]{exc.bilingual()}[/]")
        raise typer.Exit(2) from exc
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


def _verdict_line(moderator, line: bytes, no: int, field: str, direction: Direction,
                  ctx: CheckContext, evidence: bool) -> dict:
    if len(line) > MAX_LINE_BYTES:
        return _error(no, no, "LINE_TOO_LONG", f"line longer than {MAX_LINE_BYTES} bytes", "行过长")
    if not line.strip():
        return _error(no, no, "EMPTY_LINE", "empty line", "空行")
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        try:  # the stdlib accepts what orjson refuses, e.g. escaped lone surrogates
            obj = json.loads(line)
        except (ValueError, RecursionError) as exc:
            return _error(no, no, "BAD_JSON", f"not valid JSON: {exc}", "不是有效的 JSON")
    if not isinstance(obj, dict):
        return _error(no, no, "NOT_OBJECT", "line is not a JSON object", "该行不是 JSON 对象")
    rid = obj.get("id", no)
    if not isinstance(rid, (str, int, float)):
        rid = no
    text = obj.get(field)
    if not isinstance(text, str):
        return _error(rid, no, "MISSING_FIELD", f"field {field!r} missing or not a string",
                      f"字段 {field!r} 缺失或不是字符串")
    try:
        v = moderator.check(text, direction, ctx)
    except Exception as exc:  # noqa: BLE001 - one bad record must not stop a batch
        return _error(rid, no, "CHECK_FAILED", f"{type(exc).__name__}: {exc}", "审核失败")
    rec: dict = {"id": rid, "action": v.action.value,
                 "risks": [{"id": r.risk_id, "score": round(r.score, 4)} for r in v.risks],
                 "decided_by": v.decided_by}
    if evidence:
        rec["evidence"] = [r.to_dict()["evidence"] for r in v.risks]
    if v.masked_text is not None:
        rec["masked_text"] = v.masked_text
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
