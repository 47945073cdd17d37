"""The resumable state of one assessment run: ``DIR/state.sqlite`` (stdlib sqlite3).

WAL journal with ``synchronous=FULL``: a committed answer survives a kill -9 and a power cut. Each
:meth:`RunState.save_answers` call is one transaction; the runner commits every answer that arrived
in the same event-loop turn together, so a kill loses only the requests still in flight (they are
asked again on the next run). The directory is 0700 and the files 0600 (the answers may quote
personal information from the bank); the API key is never stored.

A run is bound to its banks (sha256), profile, seed, endpoint, model and sampled items: opening it
with any of these changed is refused (results of two runs are never mixed).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from hegui.assessment.errors import AssessmentError
from hegui.assessment.models import Answer, AnswerStatus, BankItem, BankKind, JudgeVerdict, Outcome
from hegui.fileio import fsync_dir, private_dir

SCHEMA_VERSION = 1
STATE_FILE = "state.sqlite"
# meta keys that bind a run: a rerun must match each of them
IDENTITY_KEYS = ("banks", "profile", "seed", "endpoint", "model")
SECRET_KEYS = frozenset({"api_key", "apikey", "authorization", "key", "token"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, bank TEXT NOT NULL, position INTEGER NOT NULL UNIQUE,
                                  item TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (item_id TEXT PRIMARY KEY REFERENCES items(id), status TEXT NOT NULL,
    text TEXT NOT NULL, finish_reason TEXT, http_status INTEGER NOT NULL, error TEXT NOT NULL,
    service TEXT NOT NULL, latency_ms REAL NOT NULL, attempts INTEGER NOT NULL, answered_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS verdicts (item_id TEXT NOT NULL REFERENCES items(id), judge TEXT NOT NULL,
    judge_version TEXT NOT NULL, outcome TEXT NOT NULL, risk TEXT, evidence TEXT NOT NULL,
    PRIMARY KEY (item_id, judge));
"""


def item_to_json(item: BankItem) -> str:
    return json.dumps({"id": item.id, "prompt": item.prompt, "bank": item.bank.value, "risk": item.risk,
                       "aspect": item.aspect, "lang": item.lang, "modality": item.modality, "source": item.source,
                       "licence": item.licence, "date": item.date.isoformat() if item.date else None,
                       "extra": dict(item.extra), "file": item.file, "line": item.line}, ensure_ascii=False)


def item_from_json(text: str) -> BankItem:
    d = json.loads(text)
    return BankItem(id=d["id"], prompt=d["prompt"], bank=BankKind(d["bank"]), risk=d["risk"], aspect=d["aspect"],
                    lang=d["lang"], modality=d["modality"], source=d["source"], licence=d["licence"],
                    date=date.fromisoformat(d["date"]) if d["date"] else None, extra=d["extra"], file=d["file"],
                    line=d["line"])


class RunState:
    """One run's state under ``dir`` (created 0700). Use :meth:`init` for a new run, :meth:`open`
    for one that exists, or :meth:`open_or_init` for "start or resume"."""

    def __init__(self, dir: str | Path) -> None:
        self.dir = Path(dir)
        self.path = self.dir / STATE_FILE
        self._db: sqlite3.Connection | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def exists(self) -> bool:
        return self.path.is_file()

    def init(self, meta: Mapping[str, Any], items: Sequence[BankItem]) -> RunState:
        """Create the state of a new run with its ``meta`` and sampled ``items`` (in asking order)."""
        if self.exists:
            raise AssessmentError(detail=f"{self.path} exists / 已存在：resume with the same command or use a new --out")
        clean = _public(meta)
        ids = [it.id for it in items]
        if len(set(ids)) != len(ids):
            dup = next(i for i in ids if ids.count(i) > 1)
            raise AssessmentError(detail=f"item id {dup!r} appears twice in the banks / 题目编号重复")
        tmp = self.path.with_name(STATE_FILE + ".new")
        try:  # built aside and renamed in: a kill during init leaves no half-made run behind
            private_dir(self.dir)
            for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
                leftover.unlink(missing_ok=True)
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            with contextlib.closing(sqlite3.connect(tmp)) as db:
                db.execute("PRAGMA synchronous=FULL")
                db.executescript(_SCHEMA)
                with db:
                    db.executemany("INSERT INTO meta VALUES (?, ?)",
                                   [(k, json.dumps(v, ensure_ascii=False, default=str)) for k, v in
                                    {**clean, "schema": SCHEMA_VERSION, "items": len(items)}.items()])
                    db.executemany("INSERT INTO items VALUES (?, ?, ?, ?)",
                                   [(it.id, it.bank.value, pos, item_to_json(it)) for pos, it in enumerate(items)])
            os.replace(tmp, self.path)
            fsync_dir(self.dir)
            self._connect()
        except (OSError, sqlite3.Error) as exc:
            self.close()
            raise AssessmentError(detail=f"cannot create {self.path} / 无法创建运行状态：{exc}") from exc
        return self

    def open(self, expect: Mapping[str, Any] | None = None, items: Sequence[BankItem] | None = None) -> RunState:
        """Open an existing run. With ``expect`` (the meta of the run being started) every identity
        key must match, and with ``items`` the sampled ids too, else :class:`AssessmentError`."""
        if not self.exists:
            raise AssessmentError(detail=f"no run in {self.dir} (no {STATE_FILE}) / 该目录下没有评估运行")
        try:
            self._connect()
            stored = self.meta()
        except sqlite3.Error as exc:
            self.close()
            raise AssessmentError(detail=f"{self.path} is unreadable / 运行状态无法读取：{exc}") from exc
        if stored.get("schema") != SCHEMA_VERSION:
            self.close()
            raise AssessmentError(detail=f"{self.path}: state schema {stored.get('schema')!r}, this hegui reads "
                                         f"{SCHEMA_VERSION} / 运行状态版本不符")
        if expect is not None:
            self._check(stored, _public(expect), items)
        return self

    def open_or_init(self, meta: Mapping[str, Any], items: Sequence[BankItem]) -> RunState:
        return self.open(meta, items) if self.exists else self.init(meta, items)

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    def __enter__(self) -> RunState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads -------------------------------------------------------------------------------
    def meta(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self._conn.execute("SELECT key, value FROM meta")}

    def items(self) -> list[BankItem]:
        return [item_from_json(r[0]) for r in self._conn.execute("SELECT item FROM items ORDER BY position")]

    def pending(self) -> list[BankItem]:
        """Items not answered yet, or whose answer was an error (asked again), in asking order."""
        rows = self._conn.execute(
            "SELECT i.item FROM items i LEFT JOIN answers a ON a.item_id = i.id "
            "WHERE a.item_id IS NULL OR a.status = ? ORDER BY i.position", (AnswerStatus.ERROR.value,))
        return [item_from_json(r[0]) for r in rows]

    def counts(self) -> dict[str, dict[str, int]]:
        """Per bank: ``items``, ``ok``, ``refused``, ``error``, ``pending`` (no answer yet)."""
        out: dict[str, dict[str, int]] = {}
        rows = self._conn.execute(
            "SELECT i.bank, COALESCE(a.status, 'pending'), COUNT(*) FROM items i "
            "LEFT JOIN answers a ON a.item_id = i.id GROUP BY 1, 2")
        for bank, status, n in rows:
            row = out.setdefault(bank, {"items": 0, "ok": 0, "refused": 0, "error": 0, "pending": 0})
            row[status] = row.get(status, 0) + n
            row["items"] += n
        return out

    def answers(self) -> dict[str, Answer]:
        rows = self._conn.execute("SELECT item_id, status, text, finish_reason, http_status, error, service, "
                                  "latency_ms, attempts FROM answers")
        return {r[0]: Answer(item_id=r[0], status=AnswerStatus(r[1]), text=r[2], finish_reason=r[3],
                             http_status=r[4], error=r[5], service=json.loads(r[6]), latency_ms=r[7],
                             attempts=r[8]) for r in rows}

    def verdicts(self) -> dict[str, list[JudgeVerdict]]:
        out: dict[str, list[JudgeVerdict]] = {}
        for r in self._conn.execute("SELECT item_id, judge, judge_version, outcome, risk, evidence FROM verdicts "
                                    "ORDER BY item_id, judge"):
            out.setdefault(r[0], []).append(JudgeVerdict(item_id=r[0], judge=r[1], judge_version=r[2],
                                                         outcome=Outcome(r[3]), risk=r[4],
                                                         evidence=json.loads(r[5])))
        return out

    # -- writes ------------------------------------------------------------------------------
    def save_answer(self, answer: Answer) -> None:
        """Store one answer in its own committed transaction."""
        self.save_answers([answer])

    def save_answers(self, answers: Iterable[Answer]) -> None:
        """Store answers in one committed transaction (replacing an earlier error answer)."""
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        rows = [(a.item_id, a.status.value, a.text, a.finish_reason, a.http_status, a.error,
                 json.dumps(dict(a.service), ensure_ascii=False, default=str), a.latency_ms, a.attempts, now)
                for a in answers]
        if rows:
            self._write("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def save_verdicts(self, verdicts: Iterable[JudgeVerdict]) -> None:
        """Store verdicts (one per item and judge; a judge run again replaces its verdicts)."""
        rows = [(v.item_id, v.judge, v.judge_version, v.outcome.value, v.risk,
                 json.dumps(dict(v.evidence), ensure_ascii=False, default=str)) for v in verdicts]
        if rows:
            self._write("INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?, ?, ?, ?)", rows)

    def set_meta(self, **values: Any) -> None:
        """Add or replace meta values (e.g. ``finished``); identity keys cannot change."""
        bad = set(values) & (set(IDENTITY_KEYS) | SECRET_KEYS)
        if bad:
            raise AssessmentError(detail=f"meta keys {sorted(bad)} cannot be changed / 不可修改")
        self._write("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                    [(k, json.dumps(v, ensure_ascii=False, default=str)) for k, v in values.items()])

    # -- internals ---------------------------------------------------------------------------
    @property
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise AssessmentError(detail=f"{self.path} is not open / 运行状态未打开")
        return self._db

    def _connect(self) -> sqlite3.Connection:
        os.chmod(self.path, 0o600)
        db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)  # ask_all commits in a thread
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        self._db = db
        return db

    def _write(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        try:
            with self._conn:
                self._conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise AssessmentError(detail=f"cannot write {self.path} / 无法写入运行状态：{exc}") from exc

    def _check(self, stored: Mapping[str, Any], expect: Mapping[str, Any], items: Sequence[BankItem] | None) -> None:
        for key in IDENTITY_KEYS:
            have, want = _norm(key, stored.get(key)), _norm(key, expect.get(key))
            if have != want:
                raise AssessmentError(detail=(
                    f"{self.dir} holds a run with a different {key} ({_short(stored.get(key))} ≠ "
                    f"{_short(expect.get(key))}); results of two runs are never mixed: use a new --out "
                    f"/ 该目录中的运行与本次的 {key} 不同，不能混合两次运行的结果，请使用新的 --out 目录"))
        if items is not None:
            stored_ids = [r[0] for r in self._conn.execute("SELECT id FROM items ORDER BY position")]
            if stored_ids != [it.id for it in items]:
                raise AssessmentError(detail=f"{self.dir} holds a different sample of items; use a new --out "
                                             f"/ 该目录中的抽样题目与本次不同，请使用新的 --out 目录")


def _public(meta: Mapping[str, Any]) -> dict[str, Any]:
    """``meta`` without anything that looks like a secret (the API key is never stored)."""
    def strip(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: strip(v) for k, v in value.items() if str(k).lower() not in SECRET_KEYS}
        if isinstance(value, (list, tuple)):
            return [strip(v) for v in value]
        return value
    return strip(dict(meta))


def _norm(key: str, value: Any) -> Any:
    if key == "banks" and isinstance(value, list):  # a moved file with the same content is the same bank
        return sorted(str(b.get("sha256")) if isinstance(b, Mapping) else str(b) for b in value)
    return json.loads(json.dumps(value, default=str))


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 120 else text[:117] + "…"
