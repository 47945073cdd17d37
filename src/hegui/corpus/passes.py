"""Whole-corpus passes: rights holders' opt-outs, exact and near-duplicates.

Each streams once, on the driver, over every record in ``order_key`` order (source, file, line) —
the :class:`~hegui.corpus.record.CorpusPass` contract — so the decisions do not depend on how
records were split across workers or engines. Both read the ``fingerprint`` finding
(:class:`hegui.corpus.text_steps.FingerprintStep`) — no re-hashing — and compute it only for a record
that lacks it. No record is kept: the state is an on-disk :class:`~hegui.corpus.lsh_store.LshStore`
(digests, packed signatures, LSH band keys) in ``scratch`` (the audit's ``.work/passes``), so memory
is bounded (an 8 MiB SQLite page cache per index) whatever the corpus size.

Interim Measures Art 7 (2) (no IP infringement: honour opt-outs); GB/T 45654 §5.2 (quality:
duplicates). Reasons: ``optout:<request id>``, ``duplicate:<kept id>``, ``near_duplicate:<kept id>``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import ClassVar

from hegui.corpus.fingerprint import content_hash, minhash
from hegui.corpus.lsh_store import LshStore, SmallIndex, digest, pack
from hegui.corpus.optout import OptOutRegistry
from hegui.corpus.record import CorpusPass, CorpusRecord, in_order

NEAR_THRESHOLD = 0.8  # estimated Jaccard similarity of character 5-shingles


def fingerprint(rec: CorpusRecord) -> tuple[str, list[int] | None]:
    """``(hash, minhash)`` from the record's finding, computed when the step did not run."""
    fp = rec.findings.get("fingerprint")
    if not isinstance(fp, dict) or "hash" not in fp:
        fp = {"hash": content_hash(rec.text), "minhash": minhash(rec.text), "shingle": 5}
        rec.findings["fingerprint"] = fp
    sig = fp.get("minhash")
    return fp["hash"], (list(sig) if sig else None)


def _check(threshold: float) -> None:
    """LSH needs at least two bands: thresholds between 0.5 and 0.95 work with 128 permutations."""
    if not 0.5 <= threshold <= 0.95:
        raise ValueError(f"near-duplicate threshold {threshold} outside [0.5, 0.95]")


class DuplicatePass:
    """Exact duplicates (same normalised-text hash) and near-duplicates (MinHash LSH, Jaccard ≥
    ``near_threshold``) among the records still kept: the first in ``order_key`` order is kept, each
    later copy is excluded as ``duplicate:<kept id>`` / ``near_duplicate:<kept id>`` with the finding
    ``duplicate = {"of", "kind": "exact"|"near", "jaccard"}``. Records already excluded (harmful,
    opted out …) neither anchor nor count as copies: the first *usable* copy is kept. State: one
    :class:`LshStore` row per kept record, on disk."""

    name: ClassVar[str] = "duplicate"
    version: ClassVar[str] = "1"

    def __init__(self, near_threshold: float = NEAR_THRESHOLD, *, near: bool = True,
                 scratch: Path | None = None) -> None:
        _check(near_threshold)
        self.near_threshold = near_threshold
        self.near = near
        self.scratch = scratch

    def run(self, records: Iterable[CorpusRecord]) -> Iterator[CorpusRecord]:
        store = LshStore(self.near_threshold, self.scratch)
        try:
            for rec in in_order(records, self.name):
                if rec.kept:
                    self._one(rec, store)
                yield rec
        finally:
            store.close()

    def _one(self, rec: CorpusRecord, store: LshStore) -> None:
        h, sig = fingerprint(rec)
        key = digest(h)
        hit = store.exact(key)
        if hit is not None:
            rec.findings[self.name] = {"of": hit[0], "kind": "exact", "jaccard": 1.0}
            rec.exclude(f"duplicate:{hit[0]}")
            return
        arr = pack(sig) if self.near and sig is not None else None
        if arr is not None:
            near = store.first_near(arr)
            if near is not None:
                of, _, j = near
                rec.findings[self.name] = {"of": of, "kind": "near", "jaccard": round(j, 4)}
                rec.exclude(f"near_duplicate:{of}")
                return
        store.add(rec.id, key, arr)


class OptOutPass:
    """Exclude every record a rights holder's request names (``optout:<request id>``): by URL glob,
    domain (and its subdomains), exact hash of the normalised text, or near-duplicate (Jaccard ≥
    ``near_threshold``) of a sample text's fingerprint. With ``follow_copies`` (default) copies of a
    matched record anywhere in the corpus, earlier or later (same hash, or near-duplicate), are
    excluded too — an article opted out on its own site is not kept because a mirror re-posted it.
    Finding: ``optout = {request id: "url"|"domain"|"hash"|"near"|"copy:<record id>"}``. Every record
    is checked, also one already excluded for another reason, so the counts per request are complete.

    Two scans: :meth:`prepare` finds the directly matched records and keeps their digests, signatures
    and requests in an on-disk :class:`LshStore`; :meth:`run` streams and applies them (a copy names
    the first matched record in ``order_key`` order it duplicates)."""

    name: ClassVar[str] = "optout"
    version: ClassVar[str] = "1"

    def __init__(self, registry: OptOutRegistry, near_threshold: float = NEAR_THRESHOLD, *,
                 follow_copies: bool = True, scratch: Path | None = None) -> None:
        _check(near_threshold)
        self.registry = registry
        self.near_threshold = near_threshold
        self.follow_copies = follow_copies
        self.scratch = scratch
        self._matched: LshStore | None = None

    def prepare(self, records: Iterable[CorpusRecord]) -> None:
        """First scan: store every directly matched record (id, digest, signature, requests)."""
        if self._matched is not None:
            self._matched.close()
        samples = SmallIndex(self.near_threshold)
        for rid, i, fp in self.registry.fingerprints():
            samples.add(f"{rid}#{i}", pack(fp))
        store = LshStore(self.near_threshold, self.scratch, by_id=True)
        try:
            for rec in in_order(records, self.name):
                h, sig = fingerprint(rec)
                arr = pack(sig) if sig is not None else None
                found: dict[str, str] = {}
                for rid, how in self.registry.match_direct(rec.url, h):
                    found.setdefault(rid, how)
                if arr is not None:
                    for key, _ in sorted(samples.query(arr)):
                        found.setdefault(key.rsplit("#", 1)[0], "near")
                if found:
                    store.add(rec.id, digest(h), arr, json.dumps(found))
        except BaseException:
            store.close()
            raise
        self._matched = store

    def run(self, records: Iterable[CorpusRecord]) -> Iterator[CorpusRecord]:
        """Second scan (after :meth:`prepare`; a list or tuple is prepared here when it was not)."""
        if self._matched is None:
            if not isinstance(records, Sequence):
                raise RuntimeError("OptOutPass.run needs prepare() first (run_passes calls it)")
            self.prepare(records)
        store, self._matched = self._matched, None
        assert store is not None
        try:
            for rec in in_order(records, self.name):
                self._one(rec, store)
                yield rec
        finally:
            store.close()

    def _one(self, rec: CorpusRecord, store: LshStore) -> None:
        if not store.n:
            return
        direct = store.payload(rec.id)
        found: dict[str, str] | None = json.loads(direct) if direct is not None else None
        if found is None and self.follow_copies:
            h, sig = fingerprint(rec)
            src = store.exact(digest(h))
            if src is None and sig is not None:
                near = store.first_near(pack(sig))
                src = near[:2] if near is not None else None
            if src is not None:
                found = {rid: f"copy:{src[0]}" for rid in json.loads(src[1] or "{}")}
        if found:
            rec.findings[self.name] = dict(sorted(found.items()))
            for rid in sorted(found):
                rec.exclude(f"optout:{rid}")


def default_passes(*, optouts: OptOutRegistry | None, near_threshold: float = NEAR_THRESHOLD) -> list[CorpusPass]:
    """Opt-outs first (so a duplicate is anchored on a copy that may be used), then duplicates."""
    passes: list[CorpusPass] = []
    if optouts is not None and optouts.requests:
        passes.append(OptOutPass(optouts, near_threshold))
    passes.append(DuplicatePass(near_threshold))
    return passes
