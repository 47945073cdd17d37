"""Tiny steps and passes for the pipeline tests (the real ones live in ``hegui.corpus.steps``/``passes``)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import ClassVar

from hegui.corpus.record import CorpusRecord


class BanStep:
    """Excludes records containing 禁; logs each ``process`` call (one line per record) to ``log``."""

    name: ClassVar[str] = "ban"
    version: ClassVar[str] = "1"

    def __init__(self, log: str | None = None, fail_on: str | None = None) -> None:
        self.log, self.fail_on, self.ready = log, fail_on, False

    def setup(self) -> None:
        self.ready = True

    def process(self, batch: Sequence[CorpusRecord]) -> list[CorpusRecord]:
        assert self.ready, "setup() not called"
        if self.log:
            with open(self.log, "a", encoding="utf-8") as f:
                f.write("".join(f"{os.getpid()} {r.id}\n" for r in batch))
        for r in batch:
            if self.fail_on and self.fail_on in r.text:
                raise RuntimeError(f"interrupted at {r.id}")
            hit = "禁" in r.text
            r.findings["ban"] = {"hit": hit, "chars": len(r.text)}
            if hit:
                r.exclude("banned")
        return list(batch)


class RedactStep:
    """Puts a redacted text (digits masked) in ``meta["redacted_text"]``."""

    name: ClassVar[str] = "redact"
    version: ClassVar[str] = "1"

    def setup(self) -> None:
        pass

    def process(self, batch: Sequence[CorpusRecord]) -> list[CorpusRecord]:
        for r in batch:
            if any(c.isdigit() for c in r.text):
                r.meta["redacted_text"] = "".join("*" if c.isdigit() else c for c in r.text)
        return list(batch)


class DropStep:
    """Breaks the contract: drops the first record of each batch."""

    name: ClassVar[str] = "drop"
    version: ClassVar[str] = "1"

    def setup(self) -> None:
        pass

    def process(self, batch: Sequence[CorpusRecord]) -> list[CorpusRecord]:
        return list(batch[1:])


class ExactDupPass:
    """Marks later exact duplicates (by text hash) excluded, in ``order_key`` order."""

    name: ClassVar[str] = "exact_dup"
    version: ClassVar[str] = "1"

    def __init__(self) -> None:
        self.seen_order: list[tuple[str, str, int]] = []

    def run(self, records: Iterable[CorpusRecord]) -> Iterable[CorpusRecord]:
        first: dict[str, str] = {}
        for r in records:
            self.seen_order.append(r.order_key)
            h = hashlib.sha256(r.text.encode()).hexdigest()
            if h in first:
                r.exclude("duplicate")
                r.findings["exact_dup"] = {"of": first[h]}
            else:
                first[h] = r.id
            yield r


def lines_of(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").split() [1::2] if log.exists() else []
