"""The one record type of a corpus audit, and the step contract every stage follows.

Like datatrove's pipeline, an audit is a list of small steps over one record type
(:class:`CorpusRecord`). A step is a pure function of a batch — it may load models once in
:meth:`RecordStep.setup` but keeps no state between batches — so the same steps run in this process,
in a multiprocessing pool or as Ray Data ``map_batches`` with identical results. Work that needs the
whole corpus (near-duplicates, opt-out fingerprints) is a :class:`CorpusPass` that runs once, on the
driver, over every record in a fixed order (source, file, line), so its decisions do not depend on
how records were split across workers.

Interim Measures Art 7; GB/T 45654 §5 and Annex B.2.1 (training-data audit).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable


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
        """A plain dict (for Ray Data rows, checkpoints and ``decisions.jsonl``)."""
        return asdict(self)

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


@runtime_checkable
class CorpusPass(Protocol):
    """A whole-corpus stage on the driver, over records sorted by :attr:`CorpusRecord.order_key`."""

    name: ClassVar[str]
    version: ClassVar[str]

    def run(self, records: Iterable[CorpusRecord]) -> Iterable[CorpusRecord]: ...
