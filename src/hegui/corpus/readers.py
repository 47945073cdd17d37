"""Readers: stream :class:`CorpusRecord` from JSONL, Parquet, CSV, plain-text folders and WARC.

Every record keeps its source id and ``file:line``; bad input is never silently dropped — each
malformed line, undecodable byte run, oversized record or empty file becomes a :class:`Problem`
(yielded in stream order, with ``file:line``). GB/T 45654 Annex B.2.1 (source records); Interim
Measures Art 7.

Text of a JSON object (JSONL line, Parquet row, CSV row): ``text_field`` when given (missing → a
``missing_text`` problem), else the first of ``text``, ``content``, then ``prompt`` + ``response``
joined by a blank line. A ``url`` field becomes ``record.url``.

Enormous records: text longer than ``max_chars`` (default 1,000,000 characters) is **truncated to
``max_chars`` and the record excluded** with reason ``too_large`` (it still appears in the decisions,
with ``meta["original_chars"]``); a line longer than ``max_line_bytes`` cannot be parsed at all and
becomes an excluded record with empty text. Encodings: UTF-8; a file whose first 64 KiB is not
UTF-8 but is GB18030 is read as GB18030 (one ``encoding`` problem says so); a line valid in
neither is decoded as UTF-8 with replacement characters and reported (``invalid_bytes``).
"""

from __future__ import annotations

import csv
import gzip
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any

from hegui.corpus.record import CorpusRecord

MAX_CHARS = 1_000_000
MAX_LINE_BYTES = 16 << 20
TEXT_SUFFIXES = {".txt", ".md", ".text", ""}
FORMATS = ("jsonl", "parquet", "csv", "text", "warc")

PROBLEM_TEXT = {  # kind → (zh, en)
    "malformed": ("无法解析的行", "malformed line"),
    "missing_text": ("缺少文本字段", "no text field"),
    "encoding": ("文件不是 UTF-8，已按 GB18030 解码", "file is not UTF-8; decoded as GB18030"),
    "invalid_bytes": ("含无效字节，已替换", "invalid bytes replaced"),
    "too_large": ("记录过大，已截断并排除", "record too large; truncated and excluded"),
    "empty_file": ("空文件", "empty file"),
    "unreadable": ("文件无法读取", "file unreadable"),
    "non_text": ("跳过非文本 WARC 记录", "non-text WARC records skipped"),
    "unsupported": ("不支持的文件格式", "unsupported file format"),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """A bad-input finding at ``file:line`` (line 0: the whole file)."""

    file: str
    line: int
    kind: str
    detail: str = ""

    def to_row(self) -> dict[str, Any]:
        zh, en = PROBLEM_TEXT.get(self.kind, (self.kind, self.kind))
        return {**asdict(self), "message_zh": zh, "message_en": en}


@dataclass(frozen=True, slots=True)
class ReadOptions:
    text_field: str | None = None
    lines: bool = False  # plain text: one record per line instead of per file
    max_chars: int = MAX_CHARS
    max_line_bytes: int = MAX_LINE_BYTES
    parquet_batch: int = 1024


Item = CorpusRecord | Problem


def detect_format(path: Path) -> str | None:
    name = path.name.lower().removesuffix(".gz")
    for suffix, fmt in ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".parquet", "parquet"), (".csv", "csv"),
                        (".warc", "warc"), (".arc", "warc")):
        if name.endswith(suffix):
            return fmt
    return "text" if Path(name).suffix in TEXT_SUFFIXES else None


def read_file(path: Path, source: str, file: str, opts: ReadOptions = ReadOptions()) -> Iterator[Item]:
    """Records and problems of one file, in file order."""
    fmt = detect_format(path)
    if fmt is None:
        yield Problem(file, 0, "unsupported", path.suffix)
        return
    try:
        if path.stat().st_size == 0:
            yield Problem(file, 0, "empty_file")
            return
        reader = {"jsonl": _jsonl, "parquet": _parquet, "csv": _csv, "text": _text, "warc": _warc}[fmt]
        n = 0
        for item in reader(path, source, file, opts):
            n += 1
            yield item
        if n == 0 and fmt != "warc":  # nothing at all (blank lines only); other problems already speak
            yield Problem(file, 0, "empty_file", "no records")
    except (OSError, ValueError, EOFError) as exc:  # truncated gzip, broken parquet footer, I/O errors
        yield Problem(file, 0, "unreadable", f"{type(exc).__name__}: {exc}"[:500])


def _record(source: str, file: str, line: int, text: str, opts: ReadOptions, url: str = "",
            problems: list[Problem] | None = None) -> CorpusRecord:
    rec = CorpusRecord(id=f"{source}:{file}:{line}", source=source, file=file, line=line, text=text, url=url)
    if len(text) > opts.max_chars:
        rec.meta["original_chars"] = len(text)
        rec.text = text[: opts.max_chars]
        rec.exclude("too_large")
        if problems is not None:
            problems.append(Problem(file, line, "too_large", f"{len(text)} chars"))
    return rec


def _open(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def _sniff(path: Path) -> str:
    with _open(path) as f:
        head = f.read(65536)
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut at the sniff boundary
            return "utf-8"
    try:
        head.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        return "utf-8"


def _decode(raw: bytes, encoding: str, file: str, line: int, problems: list[Problem]) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        pass
    other = "gb18030" if encoding == "utf-8" else "utf-8"
    try:
        text = raw.decode(other)
        problems.append(Problem(file, line, "invalid_bytes", f"line decoded as {other}"))
        return text
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        problems.append(Problem(file, line, "invalid_bytes", f"{text.count(chr(0xFFFD))} replaced"))
        return text


def _lines(path: Path, file: str, opts: ReadOptions, problems: list[Problem]) -> Iterator[tuple[int, str | None]]:
    """``(line number, decoded line or None when longer than max_line_bytes)``; bounded memory."""
    encoding = _sniff(path)
    if encoding != "utf-8":
        problems.append(Problem(file, 0, "encoding", encoding))
    with _open(path) as f:
        n = 0
        while True:
            raw = f.readline(opts.max_line_bytes + 1)
            if not raw:
                return
            n += 1
            if len(raw) > opts.max_line_bytes and not raw.endswith(b"\n"):
                size = len(raw)
                while raw and not raw.endswith(b"\n"):
                    raw = f.readline(1 << 20)
                    size += len(raw)
                problems.append(Problem(file, n, "too_large", f"line of {size} bytes not parsed"))
                yield n, None
                continue
            yield n, _decode(raw, encoding, file, n, problems).rstrip("\r\n")


def text_of(obj: dict[str, Any], field: str | None) -> str | None:
    """The text of a JSON object / row (module docstring: field order)."""
    if field:
        v = obj.get(field)
        return v if isinstance(v, str) else None
    for key in ("text", "content"):
        if isinstance(obj.get(key), str):
            return obj[key]
    parts = [obj[k] for k in ("prompt", "response") if isinstance(obj.get(k), str)]
    return "\n\n".join(parts) if parts else None


def _too_long(source: str, file: str, n: int) -> CorpusRecord:
    rec = CorpusRecord(id=f"{source}:{file}:{n}", source=source, file=file, line=n, text="")
    rec.exclude("too_large")
    return rec


def _jsonl(path: Path, source: str, file: str, opts: ReadOptions) -> Iterator[Item]:
    problems: list[Problem] = []
    for n, line in _lines(path, file, opts, problems):
        rec: CorpusRecord | None = None
        if line is None:
            rec = _too_long(source, file, n)
        elif line.strip():
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(Problem(file, n, "malformed", f"JSON: {exc.msg} (col {exc.colno})"))
            else:
                text = text_of(obj, opts.text_field) if isinstance(obj, dict) else None
                if text is None:
                    problems.append(Problem(file, n, "missing_text", opts.text_field or "text|content|prompt+response"))
                else:
                    url = obj.get("url")
                    rec = _record(source, file, n, text, opts, url if isinstance(url, str) else "", problems)
        yield from problems
        problems.clear()
        if rec is not None:
            yield rec


def _csv(path: Path, source: str, file: str, opts: ReadOptions) -> Iterator[Item]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    problems: list[Problem] = []
    pos = {"n": 0}

    def lines() -> Iterator[str]:
        for n, line in _lines(path, file, opts, problems):
            pos["n"] = n
            yield (line if line is not None else "") + "\n"

    reader = csv.reader(lines())
    header = next(reader, None)
    field = opts.text_field or "text"
    if header is None or field not in header:
        yield from problems
        yield Problem(file, 1, "missing_text", f"no {field!r} column")
        return
    idx, url_idx = header.index(field), header.index("url") if "url" in header else -1
    start = pos["n"] + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(file, start, "malformed", f"CSV: {exc}"))
            yield from problems
            problems.clear()
            start = pos["n"] + 1
            continue
        bad = [p for p in problems if p.kind == "too_large"]
        yield from problems
        problems.clear()
        if bad:
            yield _too_long(source, file, start)
        elif len(row) != len(header):
            if row:
                yield Problem(file, start, "malformed", f"{len(row)} fields, header has {len(header)}")
        else:
            rec = _record(source, file, start, row[idx], opts, row[url_idx] if url_idx >= 0 else "", problems)
            yield from problems
            problems.clear()
            yield rec
        start = pos["n"] + 1
    yield from problems


def _parquet(path: Path, source: str, file: str, opts: ReadOptions) -> Iterator[Item]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    names = set(pf.schema_arrow.names)
    wanted = [opts.text_field] if opts.text_field else ["text", "content", "prompt", "response"]
    cols = [c for c in wanted if c in names] + (["url"] if "url" in names else [])
    if not any(c != "url" for c in cols):
        yield Problem(file, 0, "missing_text", f"columns: {', '.join(sorted(names))}"[:300])
        return
    n = 0
    problems: list[Problem] = []
    for batch in pf.iter_batches(batch_size=opts.parquet_batch, columns=cols):
        for row in batch.to_pylist():
            n += 1
            text = text_of(row, opts.text_field)
            if text is None:
                yield Problem(file, n, "missing_text", "null or non-string text")
                continue
            url = row.get("url")
            rec = _record(source, file, n, text, opts, url if isinstance(url, str) else "", problems)
            yield from problems
            problems.clear()
            yield rec


def _text(path: Path, source: str, file: str, opts: ReadOptions) -> Iterator[Item]:
    problems: list[Problem] = []
    if opts.lines:
        for n, line in _lines(path, file, opts, problems):
            rec = _too_long(source, file, n) if line is None else (
                _record(source, file, n, line, opts, "", problems) if line.strip() else None)
            yield from problems
            problems.clear()
            if rec is not None:
                yield rec
        return
    cap = opts.max_chars * 4 + 4
    with _open(path) as f:
        raw = f.read(cap)
        more = f.read(1) != b""
    encoding = _sniff(path)
    if encoding != "utf-8":
        problems.append(Problem(file, 0, "encoding", encoding))
    text = _decode(raw, encoding, file, 1, problems) if not more else raw.decode(encoding, errors="ignore")
    rec = _record(source, file, 1, text, opts, "", problems)
    if more and rec.kept:
        rec.meta["original_chars"] = f">{len(text)}"
        rec.text = text[: opts.max_chars]
        rec.exclude("too_large")
        problems.append(Problem(file, 1, "too_large", f"file over {cap} bytes"))
    yield from problems
    yield rec


class _HTMLText(HTMLParser):
    """Visible text of an HTML page (stdlib parser; script/style/noscript skipped)."""

    SKIP = {"script", "style", "noscript", "template", "head"}
    BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skip:
            self.skip -= 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    p = _HTMLText()
    p.feed(html)
    p.close()
    lines = (" ".join(line.split()) for line in "".join(p.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _warc(path: Path, source: str, file: str, opts: ReadOptions) -> Iterator[Item]:
    from warcio.archiveiterator import ArchiveIterator

    skipped: dict[str, int] = {}
    problems: list[Problem] = []
    n = 0
    with open(path, "rb") as f:
        for wrec in ArchiveIterator(f):
            n += 1
            if wrec.rec_type not in ("response", "resource"):
                continue
            if wrec.rec_type == "response" and wrec.http_headers is not None:
                ctype = wrec.http_headers.get_header("Content-Type") or ""
            else:
                ctype = wrec.rec_headers.get_header("Content-Type") or ""
            mime = ctype.split(";")[0].strip().lower()
            if not (mime.startswith("text/") or mime in ("application/xhtml+xml", "")):
                skipped[mime] = skipped.get(mime, 0) + 1
                continue
            raw = wrec.content_stream().read(opts.max_chars * 4 + 1)
            charset = next((p.split("=", 1)[1].strip().strip('"').lower() for p in ctype.split(";")[1:]
                            if p.strip().lower().startswith("charset=")), "utf-8")
            enc = "gb18030" if charset in ("gb2312", "gbk", "gb18030") else "utf-8"
            text = _decode(raw, enc, file, n, problems)
            if mime in ("text/html", "application/xhtml+xml"):
                text = html_to_text(text)
            url = wrec.rec_headers.get_header("WARC-Target-URI") or ""
            rec = _record(source, file, n, text, opts, url, problems)
            if len(raw) > opts.max_chars * 4 and rec.kept:
                rec.exclude("too_large")
                problems.append(Problem(file, n, "too_large", "payload over the byte cap"))
            yield from problems
            problems.clear()
            yield rec
    if skipped:
        yield Problem(file, 0, "non_text", ", ".join(f"{k or '?'}: {v}" for k, v in sorted(skipped.items())))
    if n == 0:
        yield Problem(file, 0, "empty_file", "no WARC records")
