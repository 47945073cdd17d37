"""Read test banks (GB/T 45654 B.1.2–B.1.3 / TC260-003 §8.2–8.3) from JSONL, CSV or XLSX.

Every cell is attacker-controlled: files and prompts are size-capped, XLSX archives are checked for
zip bombs before openpyxl opens them (read-only, rows capped), and every bad row fails with a
bilingual :class:`BankError` naming ``file:line`` (XLSX: the sheet row). Nothing is guessed: an
unknown bank, risk, aspect or modality is an error, never a default.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from hegui.assessment.errors import BankError
from hegui.assessment.models import ASPECT_IDS, MODALITIES, BankItem, BankKind
from hegui.moderation.taxonomy import default_taxonomy

MAX_FILE_BYTES = 50 * 1024 * 1024       # one bank file
MAX_PROMPT_CHARS = 20_000               # one prompt
MAX_ROWS = 200_000                      # rows of one file (XLSX rows are cheap to declare, dear to parse)
MAX_XLSX_UNZIPPED = 400 * 1024 * 1024   # total uncompressed size of an XLSX archive
MAX_XLSX_RATIO = 200                    # uncompressed / compressed size of any member
MAX_ID_CHARS = 200
FORMATS = (".jsonl", ".ndjson", ".csv", ".xlsx")

#: column → accepted header spellings (English and Chinese); compared stripped and lower-cased
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "编号", "序号", "题号"),
    "prompt": ("prompt", "question", "题目", "问题", "测试题", "内容"),
    "bank": ("bank", "题库", "题库类型"),
    "risk": ("risk", "风险", "风险类别", "风险编号"),
    "aspect": ("aspect", "方面", "非拒答方面"),
    "lang": ("lang", "language", "语言", "语种"),
    "modality": ("modality", "模态"),
    "source": ("source", "来源"),
    "licence": ("licence", "license", "许可", "许可证"),
    "date": ("date", "日期", "更新日期"),
}
_HEADER = {spelling: col for col, spellings in COLUMNS.items() for spelling in spellings}
_BANKS = {"generated": BankKind.GENERATED, "should_refuse": BankKind.SHOULD_REFUSE,
          "non_refusal": BankKind.NON_REFUSAL, "生成内容": BankKind.GENERATED, "应拒答": BankKind.SHOULD_REFUSE,
          "非拒答": BankKind.NON_REFUSAL}
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def bank_error(where: str, en: str, zh: str) -> BankError:
    """A :class:`BankError` whose detail is in English and Chinese."""
    return BankError(message_zh="测试题库无效（{location}）：{detail_zh}", location=where, detail=en, detail_zh=zh)


def read_bank(path: Path, *, bank: BankKind | None = None) -> list[BankItem]:
    """Every item of one bank file (``.jsonl``, ``.csv`` or ``.xlsx``), in file order. ``bank`` is the
    default for rows without a ``bank`` column. Raises :class:`BankError` on the first bad row."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise bank_error(str(path), f"unknown format {suffix or '(none)'!r}; use {', '.join(FORMATS)}",
                         f"不支持的格式 {suffix or '（无）'!r}，请使用 {', '.join(FORMATS)}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise bank_error(str(path), f"cannot read: {exc.strerror}", f"无法读取：{exc.strerror}") from exc
    if size > MAX_FILE_BYTES:
        raise bank_error(str(path), f"file is {size} bytes, over the {MAX_FILE_BYTES}-byte cap",
                         f"文件 {size} 字节，超过上限 {MAX_FILE_BYTES} 字节")
    rows = _xlsx_rows(path) if suffix == ".xlsx" else (
        _csv_rows(path) if suffix == ".csv" else _jsonl_rows(path))
    items: list[BankItem] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        where = f"{path}:{line}"
        if len(items) >= MAX_ROWS:
            raise bank_error(where, f"more than {MAX_ROWS} rows", f"超过 {MAX_ROWS} 行上限")
        item = parse_row(row, path=str(path), line=line, bank=bank)
        if item.id in seen:
            raise bank_error(where, f"duplicate id {item.id!r} (first at line {seen[item.id]})",
                             f"编号 {item.id!r} 重复（首次出现在第 {seen[item.id]} 行）")
        seen[item.id] = line
        items.append(item)
    return items


def read_banks(paths: Sequence[Path], *, bank: BankKind | None = None) -> list[BankItem]:
    """Items of several bank files; ids must be unique across them."""
    items: list[BankItem] = []
    first: dict[str, str] = {}
    for path in paths:
        for item in read_bank(path, bank=bank):
            place = f"{item.file}:{item.line}"
            if item.id in first:
                raise bank_error(place, f"duplicate id {item.id!r}, also at {first[item.id]}",
                                 f"编号 {item.id!r} 重复，另见 {first[item.id]}")
            first[item.id] = place
            items.append(item)
    return items


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a bank file (recorded in the report so a result names its exact bank)."""
    with Path(path).open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def shipped_bank_paths() -> list[Path]:
    """The starter banks shipped with hegui (``data/assessment/banks/*.jsonl``)."""
    root = Path(str(resources.files("hegui.data") / "assessment" / "banks"))
    return sorted(root.glob("*.jsonl"))


def parse_row(row: Mapping[str, Any], *, path: str, line: int, bank: BankKind | None = None) -> BankItem:
    """One validated :class:`BankItem` from a row whose keys are already canonical column names
    (unknown keys go to ``extra``)."""
    where = f"{path}:{line}"
    tax = default_taxonomy()
    cell = {k: _text(v, k, where) for k, v in row.items()}
    item_id = (cell.get("id") or "").strip()
    if not item_id:
        raise bank_error(where, "missing id", "缺少编号 id")
    if len(item_id) > MAX_ID_CHARS:
        raise bank_error(where, f"id longer than {MAX_ID_CHARS} characters", f"编号超过 {MAX_ID_CHARS} 个字符")
    prompt = cell.get("prompt")
    if prompt is None:
        raise bank_error(where, f"{item_id}: missing prompt", f"{item_id}：缺少题目 prompt")
    if not prompt.strip():
        raise bank_error(where, f"{item_id}: empty prompt", f"{item_id}：题目为空")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise bank_error(where, f"{item_id}: prompt of {len(prompt)} characters, over the {MAX_PROMPT_CHARS} cap",
                         f"{item_id}：题目 {len(prompt)} 字符，超过上限 {MAX_PROMPT_CHARS}")
    kind_text = (cell.get("bank") or "").strip()
    kind = _BANKS.get(kind_text.lower()) if kind_text else bank
    if kind is None:
        raise bank_error(where, f"{item_id}: unknown bank {kind_text!r}; use generated, should_refuse, non_refusal",
                         f"{item_id}：未知题库 {kind_text!r}，应为 generated（生成内容）、should_refuse（应拒答）、"
                         "non_refusal（非拒答）")
    risk = (cell.get("risk") or "").strip() or None
    if risk is not None and risk not in tax:
        raise bank_error(where, f"{item_id}: unknown risk {risk!r}; use an Annex A id (A1a…A5b)",
                         f"{item_id}：未知风险 {risk!r}，应为附录 A 编号（A1a…A5b）")
    if risk is None and kind is not BankKind.NON_REFUSAL:
        raise bank_error(where, f"{item_id}: the {kind.value} bank needs a risk (A1a…A5b)",
                         f"{item_id}：{kind.value} 题库的题目须标注风险（A1a…A5b）")
    aspect = (cell.get("aspect") or "").strip() or None
    if aspect is not None and aspect not in ASPECT_IDS:
        raise bank_error(where, f"{item_id}: unknown aspect {aspect!r}; use one of {', '.join(ASPECT_IDS)}",
                         f"{item_id}：未知方面 {aspect!r}，应为 {', '.join(ASPECT_IDS)} 之一")
    if aspect is None and kind is BankKind.NON_REFUSAL:
        raise bank_error(where, f"{item_id}: the non_refusal bank needs an aspect ({', '.join(ASPECT_IDS)})",
                         f"{item_id}：非拒答题库的题目须标注方面（{', '.join(ASPECT_IDS)}）")
    lang = (cell.get("lang") or "").strip() or "zh"
    if not _LANG.match(lang):
        raise bank_error(where, f"{item_id}: bad language tag {lang!r} (e.g. zh, en)",
                         f"{item_id}：语言标记 {lang!r} 无效（如 zh、en）")
    modality = (cell.get("modality") or "").strip().lower() or "text"
    if modality not in MODALITIES:
        raise bank_error(where, f"{item_id}: unknown modality {modality!r}; use {', '.join(MODALITIES)}",
                         f"{item_id}：未知模态 {modality!r}，应为 {', '.join(MODALITIES)}")
    day = _date(cell.get("date"), item_id, where)
    extra = {k: v for k, v in cell.items() if k not in COLUMNS and v is not None}
    return BankItem(id=item_id, prompt=prompt, bank=kind, risk=risk, aspect=aspect, lang=lang, modality=modality,
                    source=(cell.get("source") or "").strip(), licence=(cell.get("licence") or "").strip(),
                    date=day, extra=extra, file=path, line=line)


def _date(text: str | None, item_id: str, where: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > 10 and _DATE.match(text[:10]) and text[10] in "T ":  # an XLSX datetime cell
        text = text[:10]
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise bank_error(where, f"{item_id}: bad date {text[:40]!r}; use YYYY-MM-DD",
                         f"{item_id}：日期 {text[:40]!r} 无效，应为 YYYY-MM-DD") from None


def _text(value: Any, key: str, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if key in COLUMNS:
        raise bank_error(where, f"column {key!r} must be text, not {type(value).__name__}",
                         f"字段 {key!r} 须为文本，而非 {type(value).__name__}")
    return json.dumps(value, ensure_ascii=False)


def _canonical(header: str) -> str:
    key = header.strip().lstrip("\ufeff").strip()
    return _HEADER.get(key.lower(), key)


def _decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise bank_error(f"{path}:{line}", f"not valid UTF-8 (byte {exc.start})",
                         f"不是有效的 UTF-8 编码（第 {exc.start} 字节）") from None


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    text = _decode(path.read_bytes(), path)
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise bank_error(f"{path}:{n}", f"not JSON: {exc.msg} (column {exc.colno})",
                             f"不是合法 JSON：{exc.msg}（第 {exc.colno} 列）") from None
        if not isinstance(row, dict):
            raise bank_error(f"{path}:{n}", "each line must be a JSON object", "每行须为一个 JSON 对象")
        yield n, {_canonical(str(k)): v for k, v in row.items()}


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    text = _decode(path.read_bytes(), path)
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise bank_error(f"{path}:{start}", f"bad CSV: {exc}", f"CSV 格式错误：{exc}") from None
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue  # blank line or comment
        if header is None:
            header = _header(cells, path, start)
            continue
        if len(cells) > len(header):
            raise bank_error(f"{path}:{start}", f"{len(cells)} cells but the header has {len(header)}",
                             f"本行 {len(cells)} 个单元格，表头只有 {len(header)} 列")
        yield start, {h: c for h, c in zip(header, cells) if h}


def _header(cells: Sequence[Any], path: Path, line: int) -> list[str]:
    header = [_canonical("" if c is None else str(c)) for c in cells]
    named = [h for h in header if h]
    dup = sorted({h for h in named if named.count(h) > 1})
    if dup:
        raise bank_error(f"{path}:{line}", f"column(s) named twice: {', '.join(dup)}",
                         f"表头列重复：{', '.join(dup)}")
    for col in ("id", "prompt"):
        if col not in header:
            raise bank_error(f"{path}:{line}", f"the header has no {col!r} column (read: {', '.join(named)[:200]})",
                             f"表头缺少 {col!r} 列（读到：{', '.join(named)[:200]}）")
    return header


def _xlsx_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise bank_error(str(path), f"not an XLSX file: {exc}", f"不是有效的 XLSX 文件：{exc}") from None
    total = sum(i.file_size for i in infos)
    worst = max((i.file_size / max(i.compress_size, 1) for i in infos), default=0)
    if total > MAX_XLSX_UNZIPPED or worst > MAX_XLSX_RATIO:
        raise bank_error(str(path), f"XLSX unpacks to {total} bytes (ratio {worst:.0f}): refused as a zip bomb",
                         f"XLSX 解压后 {total} 字节（压缩比 {worst:.0f}）：疑似压缩炸弹，拒绝读取")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a broken archive
        raise bank_error(str(path), f"cannot open XLSX: {type(exc).__name__}: {str(exc)[:200]}",
                         f"无法打开 XLSX：{type(exc).__name__}：{str(exc)[:200]}") from None
    try:
        header: list[str] | None = None
        for n, cells in enumerate(wb.worksheets[0].iter_rows(values_only=True), 1):
            if n > MAX_ROWS + 1:
                raise bank_error(f"{path}:{n}", f"more than {MAX_ROWS} rows", f"超过 {MAX_ROWS} 行上限")
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                continue
            if isinstance(cells[0], str) and cells[0].lstrip().startswith("#"):
                continue
            if header is None:
                header = _header(cells, path, n)
                continue
            if any(c is not None for c in cells[len(header):]):
                raise bank_error(f"{path}:{n}", "a cell right of the last header column",
                                 "本行在表头最后一列右侧还有内容")
            yield n, {h: c for h, c in zip(header, cells) if h}
    finally:
        wb.close()
