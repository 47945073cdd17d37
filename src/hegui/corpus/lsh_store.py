"""An on-disk exact-hash and MinHash LSH index for the whole-corpus passes (GB/T 45654 §5.2:
duplicates; Interim Measures Art 7 (2): opt-outs followed to copies) — memory independent of the
corpus size.

One SQLite file (``journal_mode=OFF``, a fixed 8 MiB page cache) with three tables: ``rec`` (an
integer ``rid`` in insertion order, the record id, its packed signature — 128 little-endian uint32,
512 bytes — and an optional JSON payload), ``exact`` (32-byte content digest → first ``rid``) and
``band`` (LSH band key → ``rid``). The band keys are datasketch's: ``MinHashLSH(threshold,
NUM_PERM)`` chooses ``b`` bands of ``r`` rows (``_optimal_param``; 9 × 13 at 0.8), and a key is the
band's index and its ``r`` values, byte for byte, so the candidates are exactly those datasketch's
in-memory index returns; each is then verified with the estimated Jaccard (equal values / 128), as
before. The Python process keeps only the page cache and the current record.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import numpy as np
from datasketch import MinHashLSH

from hegui.corpus.fingerprint import NUM_PERM

CACHE_KIB = 8192  # SQLite page cache per index (the memory bound, with the current record)
COMMIT_EVERY = 20_000  # rows between commits (no journal: a commit only bounds dirty pages)

_SCHEMA = """
CREATE TABLE rec (rid INTEGER PRIMARY KEY, id TEXT NOT NULL, sig BLOB, extra TEXT);
CREATE TABLE exact (h BLOB PRIMARY KEY, rid INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE band (k BLOB NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (k, rid)) WITHOUT ROWID;
"""


@cache
def band_params(threshold: float) -> tuple[int, int, tuple[tuple[int, int], ...]]:
    """``(b, r, ranges)`` of datasketch's ``MinHashLSH(threshold, NUM_PERM)`` (computed once)."""
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    return lsh.b, lsh.r, tuple(lsh.hashranges)


def band_keys(sig: np.ndarray, ranges: tuple[tuple[int, int], ...]) -> list[bytes]:
    """One key per band: the band's index and its values, byte for byte (datasketch's bucket key)."""
    return [bytes((i,)) + sig[s:e].tobytes() for i, (s, e) in enumerate(ranges)]


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Equal values / ``NUM_PERM`` (as :func:`hegui.corpus.fingerprint.jaccard`)."""
    return int(np.count_nonzero(a == b)) / NUM_PERM


class SmallIndex:
    """The same band keys and verification in a dict, for a few signatures (opt-out sample texts)."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.ranges = band_params(threshold)[2]
        self.sigs: dict[str, np.ndarray] = {}
        self.buckets: dict[bytes, list[str]] = {}

    def add(self, key: str, sig: np.ndarray) -> None:
        if key not in self.sigs:
            self.sigs[key] = sig
            for k in band_keys(sig, self.ranges):
                self.buckets.setdefault(k, []).append(key)

    def query(self, sig: np.ndarray) -> list[tuple[str, float]]:
        """Every ``(key, jaccard)`` sharing a band and at least ``threshold`` similar."""
        if not self.sigs:
            return []
        cands = {key for k in band_keys(sig, self.ranges) for key in self.buckets.get(k, ())}
        return [(key, j) for key in cands if (j := estimated_jaccard(sig, self.sigs[key])) >= self.threshold]


def pack(signature: list[int] | np.ndarray) -> np.ndarray:
    """A signature as a ``uint32`` array (``ValueError`` unless ``NUM_PERM`` values)."""
    arr = np.asarray(signature, dtype=np.uint32)
    if arr.shape != (NUM_PERM,):
        raise ValueError(f"signature has {arr.size} values, expected {NUM_PERM}")
    return arr


def digest(content_hash: str) -> bytes:
    """The 32 raw bytes of a ``sha256:<hex>`` hash (any other string: its UTF-8 bytes)."""
    if content_hash.startswith("sha256:") and len(content_hash) == 71:
        try:
            return bytes.fromhex(content_hash[7:])
        except ValueError:
            pass
    return content_hash.encode("utf-8", "surrogatepass")


class LshStore:
    """Records (id, digest, signature, payload) in insertion order; exact and near look-ups return
    the earliest inserted match. ``where``: a folder for the file (a private temporary folder is
    made in it and removed by :meth:`close`), or None for the system's temporary folder."""

    def __init__(self, threshold: float, where: Path | None, *, by_id: bool = False) -> None:
        self.threshold = threshold
        self.b, self.r, self.ranges = band_params(threshold)
        self._dir: Path | None = Path(tempfile.mkdtemp(prefix="lsh-", dir=where))
        self.db = sqlite3.connect(str(self._dir / "index.sqlite"), isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", f"cache_size=-{CACHE_KIB}", "temp_store=FILE",
                       "locking_mode=EXCLUSIVE"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.executescript(_SCHEMA + ("CREATE INDEX rec_id ON rec (id);" if by_id else ""))
        self.db.execute("BEGIN")
        self.n = 0
        self._near_sql = ("SELECT rid, id, sig, extra FROM rec WHERE rid IN (SELECT rid FROM band WHERE k IN ("
                          + ",".join("?" * self.b) + ")) ORDER BY rid")

    def add(self, rid_key: str, h: bytes | None, sig: np.ndarray | None, extra: str | None = None) -> int:
        """Insert one record; returns its ``rid``. A digest already present keeps its first ``rid``."""
        rid = self.n
        self.n += 1
        self.db.execute("INSERT INTO rec VALUES (?, ?, ?, ?)",
                        (rid, rid_key, sig.tobytes() if sig is not None else None, extra))
        if h is not None:
            self.db.execute("INSERT OR IGNORE INTO exact VALUES (?, ?)", (h, rid))
        if sig is not None:
            self.db.executemany("INSERT OR IGNORE INTO band VALUES (?, ?)",
                                [(k, rid) for k in band_keys(sig, self.ranges)])
        if self.n % COMMIT_EVERY == 0:
            self.db.execute("COMMIT")
            self.db.execute("BEGIN")
        return rid

    def exact(self, h: bytes) -> tuple[str, str | None] | None:
        """``(id, payload)`` of the first record with digest ``h``."""
        row = self.db.execute("SELECT rec.id, rec.extra FROM exact JOIN rec USING (rid) WHERE exact.h = ?",
                              (h,)).fetchone()
        return (row[0], row[1]) if row else None

    def payload(self, rid_key: str) -> str | None:
        """The payload of the first record with this id (the store must be made with ``by_id``)."""
        row = self.db.execute("SELECT extra FROM rec WHERE id = ? ORDER BY rid LIMIT 1", (rid_key,)).fetchone()
        return row[0] if row else None

    def near(self, sig: np.ndarray) -> Iterator[tuple[str, str | None, float]]:
        """``(id, payload, jaccard)`` of every record sharing a band with ``sig`` (datasketch's
        candidates) whose estimated Jaccard is at least the threshold, in ``rid`` order."""
        for _, key, blob, extra in self.db.execute(self._near_sql, band_keys(sig, self.ranges)):
            j = estimated_jaccard(np.frombuffer(blob, dtype=np.uint32), sig)
            if j >= self.threshold:
                yield key, extra, j

    def first_near(self, sig: np.ndarray) -> tuple[str, str | None, float] | None:
        """``(id, payload, jaccard)`` of the earliest record sharing a band whose estimated Jaccard is at
        least the threshold (candidates are read in ``rid`` order, so the first verified one wins)."""
        found = self.near(sig)
        try:
            return next(found, None)
        finally:
            found.close()  # ends the read before the next write

    def close(self) -> None:
        try:
            self.db.close()
        finally:
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
                self._dir = None
