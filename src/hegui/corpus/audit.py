"""``run_audit``: read → source rules → per-record steps (an engine) → checkpoint shards → whole-corpus
passes streamed in ``order_key`` order → ``decisions.jsonl``, ``filtered/``, ``problems.jsonl``, ``audit.json``.

Interim Measures Arts 7, 19; GB/T 45654 §5 and Annex B.2.1. An interrupted run resumes: each input
file is cut into shards of ``shard_records`` records; a finished shard is written atomically under
``out_dir/.work/shards/`` and recorded in ``.work/manifest.json`` (with the file's SHA-256 and a
fingerprint of steps, reader options and register), so a rerun reads past finished shards without
processing them again. Every file is 0600 in 0700 folders.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from hegui.corpus.engine import Engine, LocalEngine
from hegui.corpus.readers import Problem, ReadOptions, detect_format, read_file
from hegui.corpus.record import CorpusPass, CorpusRecord, RecordStep, run_passes
from hegui.corpus.sources import SourceRegister
from hegui.errors import ValidationFailed
from hegui.fileio import atomic_open, private_dir, write_atomic

REDACTED_KEY = "redacted_text"  # a step that redacts puts the redacted text in record.meta[REDACTED_KEY]


class CorpusInputError(ValidationFailed):
    code = "CORPUS_INPUT_INVALID"
    http_status = 422
    message_zh = "语料输入无效（{location}）：{detail}"
    message_en = "Invalid corpus input ({location}): {detail}"


@dataclass(frozen=True, slots=True)
class InputFile:
    path: Path
    source: str
    file: str  # the record's ``file``: path relative to the ``--in`` argument's parent
    format: str


@dataclass(slots=True)
class InputSummary:
    path: str
    file: str
    source: str
    format: str
    sha256: str
    records: int = 0
    problems: int = 0


@dataclass(slots=True)
class SourceTotals:
    id: str
    type: str
    licence: str
    records: int = 0
    kept: int = 0
    excluded: dict[str, int] = field(default_factory=dict)  # reason → records (a record may have several)
    info: dict[str, Any] = field(default_factory=dict)  # the register's summary (evidence, collection)


@dataclass(slots=True)
class AuditResult:
    """What the report reads besides ``decisions.jsonl``."""

    out_dir: str
    engine: str
    inputs: list[InputSummary]
    sources: dict[str, SourceTotals]
    steps: list[dict[str, str]]
    passes: list[dict[str, str]]
    records: int = 0
    kept: int = 0
    problems: int = 0
    shards_processed: int = 0
    shards_resumed: int = 0
    started: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def expand_inputs(inputs: Sequence[Path], register: SourceRegister) -> list[InputFile]:
    """Files of each ``--in`` (a folder: every file below it, sorted), with source id and ``file``."""
    out: list[InputFile] = []
    for arg in inputs:
        arg = Path(arg)
        if not arg.exists():
            raise CorpusInputError(location=str(arg), detail="no such file or folder")
        files = [arg] if arg.is_file() else sorted(p for p in arg.rglob("*") if p.is_file() and not p.name.startswith("."))
        default = arg.name.split(".")[0] if arg.is_file() else arg.name
        for p in files:
            fmt = detect_format(p) or "unsupported"
            sid = register.source_for(p) or re.sub(r"[^\w.-]", "_", default) or "corpus"
            out.append(InputFile(p, sid, p.relative_to(arg.parent).as_posix(), fmt))
    seen: dict[str, Path] = {}
    for f in out:
        if f.file in seen:
            raise CorpusInputError(location=str(f.path), detail=f"same name {f.file!r} as {seen[f.file]}; "
                                   "give distinct folders / 两个输入同名，请放在不同目录")
        seen[f.file] = f.path
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_jsonl(path: Path, rows: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> None:
    with atomic_open(path, text=True, mode=0o600, durable=False) as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


class _Checkpoint:
    def __init__(self, work: Path, fingerprint: str, resume: bool) -> None:
        self.work, self.shards = work, work / "shards"
        self.path = work / "manifest.json"
        state: dict[str, Any] = {}
        if resume and self.path.is_file():
            state = json.loads(self.path.read_text(encoding="utf-8"))
        if state.get("fingerprint") != fingerprint:
            shutil.rmtree(work, ignore_errors=True)
            state = {"fingerprint": fingerprint, "files": {}}
        private_dir(work)
        private_dir(self.shards)
        self.state = state

    def start_file(self, file: str, sha: str) -> dict[str, Any]:
        entry = self.state["files"].get(file)
        if entry is None or entry["sha256"] != sha:
            entry = self.state["files"][file] = {"sha256": sha, "shards": {}}
        return entry["shards"]

    def shard_path(self, file: str, k: int, kind: str = "records") -> Path:
        return self.shards / f"{hashlib.sha1(file.encode()).hexdigest()[:16]}-{k:06d}.{kind}.jsonl"

    def finish(self, file: str, k: int, records: list[CorpusRecord], problems: list[Problem]) -> None:
        _write_jsonl(self.shard_path(file, k), [r.to_row() for r in sorted(records, key=lambda r: r.line)])
        _write_jsonl(self.shard_path(file, k, "problems"), [p.to_row() for p in problems])
        self.state["files"][file]["shards"][str(k)] = {"records": len(records), "problems": len(problems)}
        write_atomic(self.path, json.dumps(self.state, ensure_ascii=False), mode=0o600, durable=False)


def _fingerprint(steps: Sequence[RecordStep], opts: ReadOptions, register: SourceRegister, shard_records: int) -> str:
    parts = {"steps": [(s.name, s.version) for s in steps], "opts": asdict(opts), "shard": shard_records,
             "sources": {k: v.summary() for k, v in register.sources.items()},
             "patterns": {k: v.patterns for k, v in register.sources.items()}}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def run_audit(inputs: Sequence[Path], out_dir: Path, *, steps: Sequence[RecordStep], passes: Sequence[CorpusPass],
              engine: Engine | None = None, sources: SourceRegister | None = None, resume: bool = True,
              read_options: ReadOptions = ReadOptions(), shard_records: int = 50_000) -> AuditResult:
    """Audit ``inputs`` into ``out_dir`` (module docstring); returns per-input and per-source totals."""
    t0, started = time.monotonic(), datetime.now(timezone.utc).isoformat(timespec="seconds")
    engine = engine or LocalEngine()
    register = sources or SourceRegister.empty()
    out_dir = private_dir(out_dir)
    files = expand_inputs(inputs, register)
    ck = _Checkpoint(out_dir / ".work", _fingerprint(steps, read_options, register, shard_records), resume)
    summaries = {f.file: InputSummary(str(f.path), f.file, f.source, f.format, sha256_file(f.path)) for f in files}
    # shard bookkeeping between the reading generator (ahead) and the writing consumer (behind)
    totals: dict[tuple[str, int], int] = {}
    probs: dict[tuple[str, int], list[Problem]] = {}
    buffers: dict[tuple[str, int], list[CorpusRecord]] = {}
    owner: dict[str, tuple[str, int]] = {}
    stats = {"processed": 0, "resumed": 0}

    def feed() -> Iterator[CorpusRecord]:
        for f in files:
            done = ck.start_file(f.file, summaries[f.file].sha256)
            k, n, shard_probs = 0, 0, []
            for item in read_file(f.path, f.source, f.file, read_options):
                if isinstance(item, Problem):
                    shard_probs.append(item)
                    continue
                if str(k) not in done:
                    owner[item.id] = (f.file, k)
                    buffers.setdefault((f.file, k), [])
                    yield register.annotate(item)
                n += 1
                if n == shard_records:
                    _close(f.file, k, n, shard_probs, done)
                    k, n, shard_probs = k + 1, 0, []
            if n or shard_probs or k == 0:
                _close(f.file, k, n, shard_probs, done)

    def _close(file: str, k: int, n: int, shard_probs: list[Problem], done: dict[str, Any]) -> None:
        if str(k) in done:
            stats["resumed"] += 1
            return
        totals[(file, k)], probs[(file, k)] = n, shard_probs
        buffers.setdefault((file, k), [])
        _flush_ready()

    def _flush_ready() -> None:
        for key in [k for k, n in totals.items() if len(buffers[k]) == n]:
            ck.finish(key[0], key[1], buffers.pop(key), probs.pop(key))
            del totals[key]
            stats["processed"] += 1

    for rec in engine.run(feed(), steps):
        key = owner.pop(rec.id)
        buffers[key].append(rec)
        if totals.get(key) == len(buffers[key]):
            _flush_ready()
    _flush_ready()
    if totals:
        raise CorpusInputError(location=str(out_dir), detail="the engine returned fewer records than it was given")
    return _finish(files, summaries, ck, register, steps, passes, engine, out_dir, stats, started, t0)


def _ordered(files: list[InputFile], ck: _Checkpoint) -> Iterator[CorpusRecord]:
    for f in sorted(files, key=lambda f: (f.source, f.file)):
        for k in sorted(int(x) for x in ck.state["files"][f.file]["shards"]):
            for row in _read_jsonl(ck.shard_path(f.file, k)):
                yield CorpusRecord.from_row(row)


def _safe_name(source: str) -> str:
    name = re.sub(r"[^\w.-]", "_", source)
    return name if name == source else f"{name}-{hashlib.sha1(source.encode()).hexdigest()[:8]}"


def decision_row(rec: CorpusRecord) -> dict[str, Any]:
    """One line of ``decisions.jsonl``: the record's place, decision, reasons and step findings."""
    return {"id": rec.id, "source": rec.source, "file": rec.file, "line": rec.line, "url": rec.url,
            "kept": rec.kept, "reasons": list(rec.reasons), "source_type": rec.meta.get("source_type", ""),
            "licence": rec.meta.get("source_licence", ""), "findings": rec.findings}


def _finish(files: list[InputFile], summaries: dict[str, InputSummary], ck: _Checkpoint, register: SourceRegister,
            steps: Sequence[RecordStep], passes: Sequence[CorpusPass], engine: Engine, out_dir: Path,
            stats: dict[str, int], started: str, t0: float) -> AuditResult:
    problems: list[dict[str, Any]] = []
    for sid, src in register.sources.items():
        for what, ev in (("licence_evidence", src.licence_evidence), ("consent", src.consent)):
            if ev.status in ("missing", "hash_mismatch"):
                problems.append({"file": register.location, "line": 0, "kind": f"{what}_{ev.status}",
                                 "detail": f"{sid}: {ev.file}", "message_zh": "证据文件缺失或哈希不符",
                                 "message_en": "evidence file missing or hash mismatch"})
    for f in files:
        for k in sorted(int(x) for x in ck.state["files"][f.file]["shards"]):
            rows = list(_read_jsonl(ck.shard_path(f.file, k, "problems")))
            summaries[f.file].problems += len(rows)
            problems.extend(rows)
    _write_jsonl(out_dir / "problems.jsonl", problems)

    scratch = ck.work / "passes"  # the passes' on-disk indexes (a crashed run's leftovers go first)
    shutil.rmtree(scratch, ignore_errors=True)
    stream = run_passes(passes, lambda: _ordered(files, ck), scratch=private_dir(scratch))
    totals: dict[str, SourceTotals] = {}
    result = AuditResult(str(out_dir), engine.name, list(summaries.values()), totals,
                         [{"name": s.name, "version": s.version} for s in steps],
                         [{"name": p.name, "version": p.version} for p in passes], problems=len(problems),
                         shards_processed=stats["processed"], shards_resumed=stats["resumed"], started=started)
    filtered = private_dir(out_dir / "filtered")
    with ExitStack() as stack:
        decisions = stack.enter_context(atomic_open(out_dir / "decisions.jsonl", text=True, mode=0o600))
        outs: dict[str, Any] = {}
        for rec in stream:
            decisions.write(json.dumps(decision_row(rec), ensure_ascii=False) + "\n")
            src = register.get(rec.source)
            t = totals.get(rec.source) or totals.setdefault(rec.source, SourceTotals(rec.source, src.type, src.licence,
                                                                                     info=src.summary()))
            t.records += 1
            result.records += 1
            if rec.file in summaries:
                summaries[rec.file].records += 1
            for reason in rec.reasons:
                t.excluded[reason] = t.excluded.get(reason, 0) + 1
            if rec.kept:
                t.kept += 1
                result.kept += 1
                if rec.source not in outs:
                    outs[rec.source] = stack.enter_context(
                        atomic_open(filtered / f"{_safe_name(rec.source)}.jsonl", text=True, mode=0o600))
                text = rec.meta.get(REDACTED_KEY)
                row = {"id": rec.id, "text": text if isinstance(text, str) else rec.text}
                if rec.url:
                    row["url"] = rec.url
                outs[rec.source].write(json.dumps(row, ensure_ascii=False) + "\n")
    names = {f"{_safe_name(s)}.jsonl" for s in outs}
    for stale in filtered.glob("*.jsonl"):  # a source of an earlier run that has no kept record now
        if stale.name not in names:
            stale.unlink()
    for sid, src in register.sources.items():  # a registered source with no records still shows
        totals.setdefault(sid, SourceTotals(sid, src.type, src.licence, info=src.summary()))
    result.seconds = round(time.monotonic() - t0, 3)
    write_atomic(out_dir / "audit.json", json.dumps(result.to_dict(), ensure_ascii=False, indent=1), mode=0o600)
    return result
