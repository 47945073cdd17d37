"""The one record type of a corpus audit, and the step contract every stage follows.

Like datatrove's pipeline, an audit is a list of small steps over one record type
(:class:`CorpusRecord`). A step is a pure function of a batch — it may load models once in
:meth:`RecordStep.setup` but keeps no state between batches — so the same steps run in this process,
in a multiprocessing pool or as Ray Data ``map_batches`` with identical results. Work that needs the
whole corpus (near-duplicates, opt-out fingerprints) is a :class:`CorpusPass` that streams once, on
the driver, over every record in a fixed order (source, file, line), so its decisions do not depend
on how records were split across workers; :func:`run_passes` chains them.

Interim Measures Art 7; GB/T 45654 §5 and Annex B.2.1 (training-data audit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from hegui.errors import HeguiError


@dataclass(slots=True)
class CorpusRecord:
    """One training item. ``id`` is stable across runs and engines: ``source:file:line`` (``line`` is
    the 1-based line, row or WARC record number). ``findings`` holds each step's JSON-able result
    under the step's name; ``reasons`` the exclusion reasons (``kept`` is true when there are none)."""

    id: str
    source: str
    file: str
    line: int
    text: str
    url: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    findings: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    @property
    def kept(self) -> bool:
        return not self.reasons

    def exclude(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)

    def to_row(self) -> dict[str, Any]:
        """A plain dict (for Ray Data rows, checkpoints and ``decisions.jsonl``), to serialise: the
        containers are copied one level deep, the findings' values are shared (no deep copy — it
        cost a fifth of a light step's time)."""
        return {"id": self.id, "source": self.source, "file": self.file, "line": self.line, "text": self.text,
                "url": self.url, "meta": dict(self.meta), "findings": dict(self.findings), "reasons": list(self.reasons)}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CorpusRecord:
        return cls(**{k: row[k] for k in cls.__dataclass_fields__ if k in row})

    @property
    def order_key(self) -> tuple[str, str, int]:
        return (self.source, self.file, self.line)


@runtime_checkable
class RecordStep(Protocol):
    """A per-record stage: ``setup`` once per worker (load models), then ``process`` batches.
    ``process`` must be deterministic and depend only on the batch's records."""

    name: ClassVar[str]
    version: ClassVar[str]

    def setup(self) -> None: ...

    def process(self, batch: Sequence[CorpusRecord]) -> list[CorpusRecord]: ...


class PassOrderError(HeguiError):
    """A whole-corpus pass was given records out of ``order_key`` order (a caller's bug)."""

    code = "CORPUS_PASS_ORDER"
    http_status = 500
    message_zh = "整体语料处理 {pass_name} 收到的记录未按（来源、文件、行）排序：{record} 在 {previous} 之后"
    message_en = "Corpus pass {pass_name} got records out of (source, file, line) order: {record} after {previous}"


@runtime_checkable
class CorpusPass(Protocol):
    """A whole-corpus stage on the driver (GB/T 45654 §5.2, Interim Measures Art 7 (2)).

    ``run`` is a generator: it takes the records **already sorted** by :attr:`CorpusRecord.order_key`
    (source, file, line), yields every one of them in the same order (marking exclusions and findings
    in place) and keeps no record object after yielding it — its state is compact (digests,
    signatures in an on-disk index), so memory does not grow with the corpus. Records out of order
    raise :class:`PassOrderError` (check with :func:`in_order`).

    Optional: ``prepare(records)`` — a first scan over a fresh stream of the same records in the
    same order (as the per-record steps left them, before any pass's ``run``), for a pass whose
    decisions depend on records later in the order (opt-outs follow copies of a matched record
    anywhere); and a ``scratch`` attribute (a folder, or None) where the pass keeps its on-disk index —
    :func:`run_passes` sets it when given one."""

    name: ClassVar[str]
    version: ClassVar[str]

    def run(self, records: Iterable[CorpusRecord]) -> Iterator[CorpusRecord]: ...


def in_order(records: Iterable[CorpusRecord], pass_name: str) -> Iterator[CorpusRecord]:
    """``records``, checking that each ``order_key`` is not below the previous one."""
    last: tuple[str, str, int] | None = None
    last_id = ""
    for rec in records:
        key = rec.order_key
        if last is not None and key < last:
            raise PassOrderError(pass_name=pass_name, record=rec.id, previous=last_id)
        last, last_id = key, rec.id
        yield rec


def run_passes(passes: Sequence[CorpusPass], records: Callable[[], Iterable[CorpusRecord]], *,
               scratch: Path | None = None) -> Iterator[CorpusRecord]:
    """Chain ``passes`` over ``records()`` (a fresh iterator in ``order_key`` order each call):
    ``prepare`` each pass that has it on its own fresh stream, then stream through every ``run``."""
    for p in passes:
        if scratch is not None and hasattr(p, "scratch"):
            p.scratch = scratch  # type: ignore[attr-defined]
        prepare = getattr(p, "prepare", None)
        if callable(prepare):
            prepare(records())
    stream: Iterable[CorpusRecord] = records()
    for p in passes:
        stream = p.run(stream)
    return iter(stream)
