"""Streaming passes: the same decisions as the former in-memory passes (datasketch's MinHashLSH),
no record object kept, bounded Python memory, the order check, large duplicate groups, opt-outs that
follow copies earlier in the order, and LSH candidates equal to datasketch's."""

from __future__ import annotations

import gc
import random
import tracemalloc
import weakref
from collections.abc import Iterable, Iterator

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from hegui.corpus.fingerprint import NUM_PERM, SCHEME, SEED, jaccard, minhash, normalise, shingles, to_minhash
from hegui.corpus.lsh_store import LshStore, band_keys
from hegui.corpus.optout import OptOutRegistry, OptOutRequest
from hegui.corpus.passes import DuplicatePass, OptOutPass, default_passes
from hegui.corpus.record import CorpusRecord, PassOrderError, run_passes


class Tracked(CorpusRecord):
    __slots__ = ("__weakref__",)


def synthetic(n: int, seed: int = 5, groups: int = 40, cls: type[CorpusRecord] = CorpusRecord) -> Iterator[CorpusRecord]:
    """``n`` records in order_key order: unique signatures, exact copies and near copies (k of 128
    values changed, k up to 45 so some fall either side of 0.8) of ``groups`` bases, a few empty
    texts (no signature), a few already excluded, URLs on ten hosts."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    bases = [nrng.integers(0, 2**32, NUM_PERM, dtype=np.uint32) for _ in range(groups)]
    for i in range(n):
        u = rng.random()
        g = rng.randrange(groups)
        if u < 0.2:
            sig, h = bases[g].copy(), f"sha256:{g:064x}"
        elif u < 0.5:
            sig = bases[g].copy()
            idx = nrng.choice(NUM_PERM, rng.randint(1, 45), replace=False)
            sig[idx] = nrng.integers(0, 2**32, idx.size, dtype=np.uint32)
            h = f"sha256:{10**6 + i:064x}"
        elif u < 0.52:
            sig, h = None, "sha256:" + "e" * 64
        else:
            sig, h = nrng.integers(0, 2**32, NUM_PERM, dtype=np.uint32), f"sha256:{10**7 + i:064x}"
        src = "a" if i < n // 3 else "b"
        rec = cls(id=f"{src}:f:{i}", source=src, file="f", line=i, text="",
                  url=f"https://h{rng.randrange(10)}.example.org/{i}",
                  findings={"fingerprint": {"hash": h, "minhash": None if sig is None else sig.tolist(), "shingle": 5}})
        if rng.random() < 0.03:
            rec.exclude("harmful:A1h")
        yield rec


# -- the former in-memory passes, as they were (reference) ------------------------------------------

def _ref_index(threshold: float) -> tuple[MinHashLSH, dict[str, list[int]]]:
    return MinHashLSH(threshold=threshold, num_perm=NUM_PERM), {}


def _ref_query(lsh: MinHashLSH, sigs: dict, sig: list[int], threshold: float) -> list[tuple[str, float]]:
    if not sigs:
        return []
    return [(k, j) for k in lsh.query(to_minhash(sig)) if (j := jaccard(sig, sigs[k])) >= threshold]


def ref_duplicates(recs: list[CorpusRecord], t: float = 0.8) -> None:
    seen: dict[str, str] = {}
    pos: dict[str, int] = {}
    lsh, sigs = _ref_index(t)
    for i, rec in enumerate(recs):
        if not rec.kept:
            continue
        fp = rec.findings["fingerprint"]
        h, sig = fp["hash"], fp["minhash"]
        if h in seen:
            rec.findings["duplicate"] = {"of": seen[h], "kind": "exact", "jaccard": 1.0}
            rec.exclude(f"duplicate:{seen[h]}")
            continue
        if sig is not None:
            hits = _ref_query(lsh, sigs, sig, t)
            if hits:
                of, j = min(hits, key=lambda kj: pos[kj[0]])
                rec.findings["duplicate"] = {"of": of, "kind": "near", "jaccard": round(j, 4)}
                rec.exclude(f"near_duplicate:{of}")
                continue
            lsh.insert(rec.id, to_minhash(sig))
            sigs[rec.id] = sig
        seen[h], pos[rec.id] = rec.id, i


def ref_optouts(recs: list[CorpusRecord], reg: OptOutRegistry, t: float = 0.8) -> None:
    slsh, ssigs = _ref_index(t)
    for rid, i, fp in reg.fingerprints():
        slsh.insert(f"{rid}#{i}", to_minhash(fp))
        ssigs[f"{rid}#{i}"] = fp
    matched: dict[str, dict[str, str]] = {}
    for rec in recs:
        fp = rec.findings["fingerprint"]
        found: dict[str, str] = {}
        for rid, how in reg.match_direct(rec.url, fp["hash"]):
            found.setdefault(rid, how)
        if fp["minhash"] is not None:
            for key, _ in sorted(_ref_query(slsh, ssigs, fp["minhash"], t)):
                found.setdefault(key.rsplit("#", 1)[0], "near")
        if found:
            matched[rec.id] = found
    by_hash: dict[str, str] = {}
    lsh, sigs = _ref_index(t)
    for rec in recs:
        if rec.id in matched:
            fp = rec.findings["fingerprint"]
            by_hash.setdefault(fp["hash"], rec.id)
            if fp["minhash"] is not None and rec.id not in sigs:
                lsh.insert(rec.id, to_minhash(fp["minhash"]))
                sigs[rec.id] = fp["minhash"]
    order = {r.id: i for i, r in enumerate(recs)}
    for rec in recs:
        if rec.id in matched:
            continue
        fp = rec.findings["fingerprint"]
        src = by_hash.get(fp["hash"])
        if src is None and fp["minhash"] is not None:
            hits = _ref_query(lsh, sigs, fp["minhash"], t)
            src = min((k for k, _ in hits), key=order.__getitem__) if hits else None
        if src is not None:
            matched[rec.id] = {rid: f"copy:{src}" for rid in matched[src]}
    for rec in recs:
        if found := matched.get(rec.id):
            rec.findings["optout"] = dict(sorted(found.items()))
            for rid in sorted(found):
                rec.exclude(f"optout:{rid}")


def registry(recs: list[CorpusRecord]) -> OptOutRegistry:
    reg = OptOutRegistry()
    reg.add(OptOutRequest(id="", requester="Site", received="2026-11-01", domains=["h3.example.org"]))
    reg.add(OptOutRequest(id="", requester="Author", received="2026-11-02", hashes=[f"sha256:{7:064x}"]))
    reg.add(OptOutRequest(id="", requester="Publisher", received="2026-11-03",
                          fingerprints=[recs[-1].findings["fingerprint"]["minhash"] or [1] * NUM_PERM]))
    return reg


def rows(recs: Iterable[CorpusRecord]) -> list[tuple]:
    return [(r.id, tuple(r.reasons), repr(sorted(r.findings.items()))) for r in recs]


def test_same_decisions_as_the_in_memory_passes():
    ref, new = list(synthetic(3000)), list(synthetic(3000))
    reg = registry(ref)
    ref_optouts(ref, reg)
    ref_duplicates(ref)
    out = list(run_passes(default_passes(optouts=reg), lambda: iter(new)))
    assert rows(out) == rows(ref)
    reasons = {r.split(":")[0] for rec in out for r in rec.reasons}
    assert {"duplicate", "near_duplicate", "optout", "harmful"} <= reasons
    assert any(v.startswith("copy:") for rec in out for v in rec.findings.get("optout", {}).values())


def test_large_groups_all_anchor_on_the_first_kept_copy():
    base = np.random.default_rng(1).integers(0, 2**32, NUM_PERM, dtype=np.uint32)
    recs = []
    for i in range(4000):
        sig = base.copy()
        if i % 4 == 3:  # a near copy: 10 values changed (Jaccard ≈ 0.92)
            sig[(np.arange(10) * 7 + i) % NUM_PERM] = i
        recs.append(CorpusRecord(id=f"a:f:{i}", source="a", file="f", line=i, text="", findings={
            "fingerprint": {"hash": f"sha256:{i % 4 == 3 and i or 0:064x}", "minhash": sig.tolist(), "shingle": 5}}))
    recs[0].exclude("harmful:A1a")  # not an anchor: the first *usable* copy is
    ref = [CorpusRecord.from_row(r.to_row()) for r in recs]
    ref_duplicates(ref)
    out = list(DuplicatePass().run(recs))
    assert rows(out) == rows(ref)
    assert out[1].kept and sum(r.kept for r in out) == 1
    assert {r.reasons[0] for r in out[2:]} == {"duplicate:a:f:1", "near_duplicate:a:f:1"}


def test_passes_keep_no_record_objects():
    refs: list[weakref.ref] = []

    def stream() -> Iterator[CorpusRecord]:
        for rec in synthetic(3000, cls=Tracked):
            refs.append(weakref.ref(rec))
            yield rec

    first = list(synthetic(3000))
    passes = default_passes(optouts=registry(first))
    alive_max = 0
    for i, rec in enumerate(run_passes(passes, stream)):
        del rec
        if i % 250 == 0:
            gc.collect()
            alive_max = max(alive_max, sum(r() is not None for r in refs))
    assert len(refs) == 6000  # prepare's scan and the run's
    assert alive_max <= 3, alive_max  # the record being passed on, at most a neighbour


def _peak(n: int) -> int:
    tracemalloc.start()
    try:
        for _ in DuplicatePass().run(synthetic(n, groups=400)):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_python_memory_does_not_grow_with_the_corpus():
    small, large = _peak(500), _peak(4000)
    assert large < small * 1.5 + 256 * 1024, (small, large)


def test_records_out_of_order_are_refused():
    recs = list(synthetic(50))
    recs[10], recs[20] = recs[20], recs[10]
    with pytest.raises(PassOrderError) as exc:
        list(DuplicatePass().run(recs))
    assert "a:f:11 after b:f:20" in exc.value.message("en") and "a:f:11" in exc.value.message("zh")
    with pytest.raises(PassOrderError):
        OptOutPass(registry(recs)).prepare(iter(recs))
    with pytest.raises(RuntimeError):  # an iterator can be scanned once: prepare() must come first
        list(OptOutPass(registry(recs)).run(iter(sorted(recs, key=lambda r: r.order_key))))


def test_optout_follows_a_copy_earlier_in_the_order():
    text = "本报讯：城市图书馆新增了三万册藏书，并延长了周末的开放时间，欢迎市民前来参加读书会。" * 3
    recs = [CorpusRecord(id="a:m:1", source="a", file="m", line=1, text=text + " ", url="https://mirror.org/x"),
            CorpusRecord(id="a:m:2", source="a", file="m", line=2, text="无关的文字，关于天气。"),
            CorpusRecord(id="web:f:1", source="web", file="f", line=1, text=text, url="https://paper.example.cn/a")]
    reg = OptOutRegistry()
    reg.add(OptOutRequest(id="", requester="报社", received="2026-11-01", domains=["paper.example.cn"]))
    out = list(run_passes(default_passes(optouts=reg), lambda: iter(recs)))
    assert out[0].reasons == ["optout:OO-0001"] and out[0].findings["optout"] == {"OO-0001": "copy:web:f:1"}
    assert out[1].kept and out[2].reasons == ["optout:OO-0001"]


def test_lsh_candidates_equal_datasketch():
    rng = np.random.default_rng(3)
    base = rng.integers(0, 2**32, NUM_PERM, dtype=np.uint32)
    lsh = MinHashLSH(threshold=0.8, num_perm=NUM_PERM)
    store = LshStore(0.8, None)
    sigs: dict[str, np.ndarray] = {}
    try:
        for i in range(300):
            sig = base.copy()
            idx = rng.choice(NUM_PERM, int(rng.integers(0, 60)), replace=False)
            sig[idx] = rng.integers(0, 2**32, idx.size, dtype=np.uint32)
            lsh.insert(str(i), to_minhash(sig.tolist()))
            store.add(str(i), None, sig)
            sigs[str(i)] = sig
        assert (store.b, store.r) == (lsh.b, lsh.r) == (9, 13)
        for _ in range(60):
            q = base.copy()
            idx = rng.choice(NUM_PERM, int(rng.integers(0, 60)), replace=False)
            q[idx] = 0
            cands = set(lsh.query(to_minhash(q.tolist())))
            raw = {row[0] for row in store.db.execute(
                "SELECT id FROM rec WHERE rid IN (SELECT rid FROM band WHERE k IN (%s))" % ",".join("?" * store.b),
                band_keys(q, store.ranges))}
            assert raw == cands
            verified = [k for k, _, _ in store.near(q)]
            assert verified == sorted((k for k in cands if jaccard(q.tolist(), sigs[k].tolist()) >= 0.8), key=int)
    finally:
        store.close()


def test_minhash_values_are_datasketchs():
    for text in ["a", "abcde", "春天来了，公园里的花都开了。" * 20, "The committee met on Tuesday. " * 10]:
        m = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
        m.update_batch(sorted(shingles(normalise(text))))
        assert minhash(text) == [int(v) for v in m.hashvalues]
