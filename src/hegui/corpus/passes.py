"""Whole-corpus passes: rights holders' opt-outs, exact and near-duplicates.

Run once on the driver over every record in ``order_key`` order (source, file, line), so the
decisions do not depend on how records were split across workers or engines. Both read the
``fingerprint`` finding (:class:`hegui.corpus.text_steps.FingerprintStep`) — no re-hashing — and
compute it only for a record that lacks it.

Interim Measures Art 7 (2) (no IP infringement: honour opt-outs); GB/T 45654 §5.2 (quality:
duplicates). Reasons: ``optout:<request id>``, ``duplicate:<kept id>``, ``near_duplicate:<kept id>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from datasketch import MinHashLSH

from hegui.corpus.fingerprint import NUM_PERM, content_hash, jaccard, minhash, to_minhash
from hegui.corpus.optout import OptOutRegistry
from hegui.corpus.record import CorpusPass, CorpusRecord

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


class _Near:
    """An LSH index of stored signatures with verification of the estimated Jaccard."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self.sigs: dict[str, list[int]] = {}

    def add(self, key: str, sig: list[int]) -> None:
        if key not in self.sigs:
            self.lsh.insert(key, to_minhash(sig))
            self.sigs[key] = sig

    def query(self, sig: list[int]) -> list[tuple[str, float]]:
        """Keys whose signature is at least ``threshold`` similar, with the similarity."""
        if not self.sigs:
            return []
        out = []
        for key in self.lsh.query(to_minhash(sig)):
            j = jaccard(sig, self.sigs[key])
            if j >= self.threshold:
                out.append((key, round(j, 4)))
        return out


class DuplicatePass:
    """Exact duplicates (same normalised-text hash) and near-duplicates (MinHash LSH, Jaccard ≥
    ``near_threshold``) among the records still kept: the first in ``order_key`` order is kept, each
    later copy is excluded as ``duplicate:<kept id>`` / ``near_duplicate:<kept id>`` with the finding
    ``duplicate = {"of", "kind": "exact"|"near", "jaccard"}``. Records already excluded (harmful,
    opted out …) neither anchor nor count as copies: the first *usable* copy is kept."""

    name: ClassVar[str] = "duplicate"
    version: ClassVar[str] = "1"

    def __init__(self, near_threshold: float = NEAR_THRESHOLD, *, near: bool = True) -> None:
        _check(near_threshold)
        self.near_threshold = near_threshold
        self.near = near

    def run(self, records: Iterable[CorpusRecord]) -> list[CorpusRecord]:
        recs = sorted(records, key=lambda r: r.order_key)
        seen: dict[str, str] = {}
        pos: dict[str, int] = {}
        index = _Near(self.near_threshold)
        for i, rec in enumerate(recs):
            if not rec.kept:
                continue
            h, sig = fingerprint(rec)
            if h in seen:
                rec.findings[self.name] = {"of": seen[h], "kind": "exact", "jaccard": 1.0}
                rec.exclude(f"duplicate:{seen[h]}")
                continue
            if self.near and sig is not None:
                hits = index.query(sig)
                if hits:
                    of, j = min(hits, key=lambda kj: pos[kj[0]])
                    rec.findings[self.name] = {"of": of, "kind": "near", "jaccard": j}
                    rec.exclude(f"near_duplicate:{of}")
                    continue
                index.add(rec.id, sig)
            seen[h] = rec.id
            pos[rec.id] = i
        return recs


class OptOutPass:
    """Exclude every record a rights holder's request names (``optout:<request id>``): by URL glob,
    domain (and its subdomains), exact hash of the normalised text, or near-duplicate (Jaccard ≥
    ``near_threshold``) of a sample text's fingerprint. With ``follow_copies`` (default) copies of a
    matched record elsewhere in the corpus (same hash, or near-duplicate) are excluded too — an
    article opted out on its own site is not kept because a mirror re-posted it. Finding:
    ``optout = {request id: "url"|"domain"|"hash"|"near"|"copy:<record id>"}``. Every record is
    checked, also one already excluded for another reason, so the counts per request are complete."""

    name: ClassVar[str] = "optout"
    version: ClassVar[str] = "1"

    def __init__(self, registry: OptOutRegistry, near_threshold: float = NEAR_THRESHOLD, *,
                 follow_copies: bool = True) -> None:
        _check(near_threshold)
        self.registry = registry
        self.near_threshold = near_threshold
        self.follow_copies = follow_copies

    def run(self, records: Iterable[CorpusRecord]) -> list[CorpusRecord]:
        recs = sorted(records, key=lambda r: r.order_key)
        samples = _Near(self.near_threshold)
        for rid, i, fp in self.registry.fingerprints():
            samples.add(f"{rid}#{i}", fp)
        matched: dict[str, dict[str, str]] = {}
        for rec in recs:
            h, sig = fingerprint(rec)
            found: dict[str, str] = {}
            for rid, how in self.registry.match_direct(rec.url, h):
                found.setdefault(rid, how)
            if sig is not None:
                for key, _ in sorted(samples.query(sig)):
                    found.setdefault(key.rsplit("#", 1)[0], "near")
            if found:
                matched[rec.id] = found
        if self.follow_copies and matched:
            self._copies(recs, matched)
        for rec in recs:
            found = matched.get(rec.id)
            if found:
                rec.findings[self.name] = dict(sorted(found.items()))
                for rid in sorted(found):
                    rec.exclude(f"optout:{rid}")
        return recs

    def _copies(self, recs: list[CorpusRecord], matched: dict[str, dict[str, str]]) -> None:
        by_hash: dict[str, str] = {}
        index = _Near(self.near_threshold)
        for rec in recs:
            if rec.id in matched:
                h, sig = fingerprint(rec)
                by_hash.setdefault(h, rec.id)
                if sig is not None:
                    index.add(rec.id, sig)
        order = {r.id: i for i, r in enumerate(recs)}
        for rec in recs:
            if rec.id in matched:
                continue
            h, sig = fingerprint(rec)
            src = by_hash.get(h)
            if src is None and sig is not None:
                hits = index.query(sig)
                src = min((k for k, _ in hits), key=order.__getitem__) if hits else None
            if src is not None:
                matched[rec.id] = {rid: f"copy:{src}" for rid in matched[src]}


def default_passes(*, optouts: OptOutRegistry | None, near_threshold: float = NEAR_THRESHOLD) -> list[CorpusPass]:
    """Opt-outs first (so a duplicate is anchored on a copy that may be used), then duplicates."""
    passes: list[CorpusPass] = []
    if optouts is not None and optouts.requests:
        passes.append(OptOutPass(optouts, near_threshold))
    passes.append(DuplicatePass(near_threshold))
    return passes
