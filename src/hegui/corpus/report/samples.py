"""Seeded samples of the corpus audit (GB/T 45654 B.2.1 a–b).

Selection is by hash rank: every record gets the key ``blake2b(seed, salt, id)`` and a sample of
``k`` is the ``k`` smallest keys. The same seed and ids give the same sample whatever the order of
the decisions file or the engine that wrote it, and the selection streams with memory for ``k``
records only. The technical sample is stratified by source (``ceil(fraction × n)`` per source, so
the whole is ≥ the fraction of the corpus); the manual sample is one draw over the whole corpus.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Mapping
from typing import Any

from hegui.assessment.report.stats import wilson

MANUAL, TECHNICAL = "manual", "technical"


def rank(seed: int, salt: str, record_id: str) -> int:
    h = hashlib.blake2b(f"{seed}\0{salt}\0{record_id}".encode("utf-8", "surrogatepass"), digest_size=8)
    return int.from_bytes(h.digest(), "big")


class BottomK:
    """The ``k`` entries with the smallest keys seen so far (ties broken by id)."""

    def __init__(self, k: int) -> None:
        self.k = max(0, k)
        self._heap: list[tuple[int, str, Any]] = []  # (-key, negated order by id is not needed: ids unique)

    def offer(self, key: int, record_id: str, value: Any) -> None:
        if self.k == 0:
            return
        item = (-key, record_id, value)
        if len(self._heap) < self.k:
            heapq.heappush(self._heap, item)
        elif item > self._heap[0]:
            heapq.heapreplace(self._heap, item)

    def items(self) -> list[tuple[str, Any]]:
        """``(id, value)`` in id order."""
        return sorted((rid, v) for _, rid, v in self._heap)


def technical_size(per_source: Mapping[str, int], fraction: float) -> dict[str, int]:
    """``ceil(fraction × n)`` records per source (B.2.1 b: ≥ 10 % of all data)."""
    return {s: min(n, math.ceil(fraction * n - 1e-9)) for s, n in per_source.items()}


def ids_digest(ids: list[str]) -> str:
    """SHA-256 of the sorted ids, one a line: names the sample without listing it."""
    h = hashlib.sha256()
    for i in sorted(ids):
        h.update(i.encode("utf-8", "surrogatepass") + b"\n")
    return h.hexdigest()


def technical_result(chosen: list[tuple[str, bool]], population: int, *, fraction: float, bar: float,
                     clause: str) -> dict[str, Any]:
    """The technical sample's section: pass = judged and no harmful finding of the 31 risks."""
    n = len(chosen)
    k = sum(1 for _, ok in chosen if ok)
    ci = wilson(k, n)
    minimum = math.ceil(fraction * population - 1e-9)
    rate = k / n if n else None
    failed = [rid for rid, ok in chosen if not ok]
    return {"clause": clause, "population": population, "min": minimum, "min_fraction": fraction, "n": n,
            "fraction": (n / population if population else None), "passed": k, "pass_rate": rate,
            "ci95": [ci[0], ci[1]] if ci else None, "bar": bar, "under_size": n < minimum or n == 0,
            "method": "moderation step findings (keywords + classifier); unjudged or degraded counts as a fail",
            "failed_ids": failed[:100], "failed": len(failed), "ids_sha256": ids_digest([r for r, _ in chosen]),
            "conforms": bool(n) and n >= minimum and rate is not None and rate >= bar}


def manual_result(chosen: list[str], population: int, verdicts: Mapping[str, bool] | None, *, minimum: int,
                  bar: float, clause: str, accept_census: bool) -> dict[str, Any]:
    """The manual sample's section: pass rate over the sample, a record not reviewed counts against."""
    verdicts = verdicts or {}
    n = len(chosen)
    reviewed = [verdicts[i] for i in chosen if i in verdicts]
    k = sum(1 for v in reviewed if v is True)
    ci = wilson(k, n)
    under = n < minimum
    rate = k / n if n else None
    chosen_set = set(chosen)
    ok = (bool(n) and len(reviewed) == n and rate is not None and rate >= bar
          and (not under or (accept_census and n == population)))
    return {"clause": clause, "population": population, "min": minimum, "n": n, "under_size": under,
            "census": n == population and n > 0, "reviewed": len(reviewed), "not_reviewed": n - len(reviewed),
            "passed": k, "pass_rate": rate, "ci95": [ci[0], ci[1]] if ci else None,
            "reviewed_pass_rate": (k / len(reviewed) if reviewed else None), "bar": bar,
            "ignored_verdicts": sum(1 for i in verdicts if i not in chosen_set),
            "ids_sha256": ids_digest(chosen), "worksheet": "manual-sample.xlsx", "conforms": ok}
