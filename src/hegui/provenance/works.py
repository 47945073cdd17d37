"""The register of protected works and the copy check on outputs (issue 15; draft AIGC Regulation
Arts 4–5, 15: the provider answers for its outputs as content producer).

Operators register others' protected texts and images (:class:`ProtectedWorks`); the gateway asks
:meth:`ProtectedWorks.check_text` / :meth:`ProtectedWorks.check_image` before an output leaves.
Text: *verbatim* — the longest run of consecutive character n-grams of the output found in one work,
or the share of the output's n-grams in it; *near-verbatim* — MinHash Jaccard of 5-shingles. Images:
pHash and dHash Hamming distances. Each process keeps an in-memory index, rebuilt when the table
changes (checked at most every :data:`REFRESH_S` seconds, at once after a local change). The image
scan is linear (numpy, ~1 ms per 100k works); the text index is one sorted array of n-gram hashes.
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from hegui.errors import HeguiError, NotFound, ValidationFailed
from hegui.provenance import hashing as H
from hegui.provenance.models import ProtectedWork
from hegui.records import audit
from hegui.storage.base import utcnow
from hegui.storage.db import Database

REFRESH_S = 5.0
MAX_TEXT_CHARS = 2_000_000
MAX_IMAGE_BYTES = 50 << 20
TEXT_SUFFIXES = {".txt", ".md"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


@dataclass(frozen=True, slots=True)
class CopyMatch:
    """An output that matched a protected work. ``method``: ngram | minhash | phash; ``score``:
    share of n-grams, Jaccard, or 1 - distance/64; ``detail``: lengths and distances, never content."""

    work_id: str
    title: str
    kind: str
    method: str
    score: float
    detail: str


@dataclass(slots=True)
class TextScores:
    """Raw text scores (for the check and the bench); work fields index the in-memory index."""

    output_chars: int = 0
    ngram_work: int | None = None
    run_chars: int = 0
    share: float = 0.0
    minhash_work: int | None = None
    jaccard: float = 0.0


@dataclass
class _Index:
    stamp: tuple[object, ...]
    checked: float
    ids: list[str]
    titles: list[str]
    ngram_hashes: np.ndarray  # sorted, all works
    ngram_owner: np.ndarray  # index into ids, aligned with ngram_hashes
    per_work: dict[int, np.ndarray]
    sig_rows: np.ndarray  # indices of works with a MinHash
    sigs: np.ndarray  # (n, NUM_PERM) uint32
    img_rows: np.ndarray
    phash: np.ndarray  # uint64
    dhash: np.ndarray


_INDEXES: weakref.WeakKeyDictionary[Database, _Index] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _stamp(db: Database) -> tuple[object, ...]:
    with db.session() as s:
        row = s.execute(select(func.count(ProtectedWork.id), func.max(ProtectedWork.created_at),
                               func.max(ProtectedWork.removed_at))).one()
    return tuple(row)


def _build(db: Database, stamp: tuple[object, ...]) -> _Index:
    with db.session() as s:
        rows = s.execute(select(ProtectedWork.id, ProtectedWork.title, ProtectedWork.kind, ProtectedWork.ngrams,
                                ProtectedWork.minhash, ProtectedWork.phash)
                         .where(ProtectedWork.active.is_(True)).order_by(ProtectedWork.created_at)).all()
    ids, titles, per_work, hashes, owners, sig_rows, sigs, img_rows, ph, dh = [], [], {}, [], [], [], [], [], [], []
    for i, (wid, title, kind, ngrams, mh, phash) in enumerate(rows):
        ids.append(wid)
        titles.append(title)
        if kind == "text":
            g = H.unpack_ngrams(ngrams)
            per_work[i] = g
            hashes.append(g)
            owners.append(np.full(g.size, i, dtype=np.int64))
            if (sig := H.unpack_minhash(mh)) is not None:
                sig_rows.append(i)
                sigs.append(sig)
        elif (pair := H.unpack_image_hash(phash)) is not None:
            img_rows.append(i)
            ph.append(pair[0])
            dh.append(pair[1])
    all_h = np.concatenate(hashes) if hashes else np.zeros(0, np.uint64)
    all_o = np.concatenate(owners) if owners else np.zeros(0, np.int64)
    order = np.argsort(all_h, kind="stable")
    return _Index(stamp=stamp, checked=time.monotonic(), ids=ids, titles=titles, ngram_hashes=all_h[order],
                  ngram_owner=all_o[order], per_work=per_work, sig_rows=np.asarray(sig_rows, np.int64),
                  sigs=np.vstack(sigs) if sigs else np.zeros((0, 1), np.uint32),
                  img_rows=np.asarray(img_rows, np.int64), phash=np.asarray(ph, np.uint64),
                  dhash=np.asarray(dh, np.uint64))


def index(db: Database, *, force: bool = False) -> _Index:
    """This process's index of the active works, rebuilt when the table changed."""
    with _LOCK:
        idx = _INDEXES.get(db)
        if idx is not None and not force and time.monotonic() - idx.checked < REFRESH_S:
            return idx
        stamp = _stamp(db)
        if idx is None or force or stamp != idx.stamp:
            idx = _INDEXES[db] = _build(db, stamp)
        idx.checked = time.monotonic()
        return idx


def known_empty(db: Database, kind: str) -> bool:
    """True when this process's fresh index holds no active work of ``kind`` (no query, no thread hop:
    what an empty register costs the gateway per answer)."""
    idx = _INDEXES.get(db)
    if idx is None or time.monotonic() - idx.checked >= REFRESH_S:
        return False
    return not (idx.per_work if kind == "text" else idx.img_rows.size)


def invalidate(db: Database) -> None:
    with _LOCK:
        _INDEXES.pop(db, None)


def _text(value: str, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(detail=f"{name} must be a non-empty string")
    if len(value) > limit:
        raise ValidationFailed(detail=f"{name} longer than {limit} characters")
    return value.strip()


class ProtectedWorks:
    """Register, list, remove and check protected works (changes are audited)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def register(self, kind: str, data: bytes | str, title: str, holder: str, actor: str) -> ProtectedWork:
        """Fingerprint and store one work; its content itself is not kept."""
        title, holder, actor = _text(title, "title", 300), _text(holder, "holder", 200), _text(actor, "actor", 120)
        row = ProtectedWork(kind=kind, title=title, holder=holder, recorded_by=actor)
        if kind == "text":
            text = data.decode("utf-8") if isinstance(data, bytes) else data
            if not isinstance(text, str) or len(text) > MAX_TEXT_CHARS:
                raise ValidationFailed(detail=f"text work must be a string of at most {MAX_TEXT_CHARS} characters")
            tp = H.text_print(text)
            if len(tp.norm) < int(H.thresholds()["text"]["min_chars"]):
                raise ValidationFailed(detail="text work too short to check outputs against / 作品文本过短")
            row.sha256 = hashlib.sha256(tp.norm.encode("utf-8", "surrogatepass")).hexdigest()
            row.length, row.ngrams, row.minhash = len(tp.norm), H.pack_ngrams(tp.ngrams), H.pack_minhash(tp.minhash)
        elif kind == "image":
            if not isinstance(data, bytes) or len(data) > MAX_IMAGE_BYTES:
                raise ValidationFailed(detail=f"image work must be bytes of at most {MAX_IMAGE_BYTES} bytes")
            img = H.decode_image(data)
            row.sha256, row.length = hashlib.sha256(data).hexdigest(), img.width * img.height
            row.phash = H.pack_image_hash(*H.image_hashes(data))
        else:
            raise ValidationFailed(detail="kind must be 'text' or 'image'")
        with self.db.session() as s:
            s.add(row)
            s.flush()
            audit.append(s, actor, "provenance.work.register", f"protected_work:{row.id}",
                         {"kind": kind, "title": title, "holder": holder, "sha256": row.sha256})
            s.expunge(row)
        invalidate(self.db)
        return row

    def remove(self, work_id: str, actor: str) -> ProtectedWork:
        with self.db.session() as s:
            row = s.get(ProtectedWork, work_id)
            if row is None or not row.active:
                raise NotFound(detail=f"protected work {work_id}")
            row.active, row.removed_at = False, utcnow()
            audit.append(s, _text(actor, "actor", 120), "provenance.work.remove", f"protected_work:{work_id}", {})
            s.flush()
            s.expunge(row)
        invalidate(self.db)
        return row

    def list(self, *, include_removed: bool = False) -> list[ProtectedWork]:
        with self.db.session() as s:
            q = select(ProtectedWork).order_by(ProtectedWork.created_at)
            if not include_removed:
                q = q.where(ProtectedWork.active.is_(True))
            rows = list(s.scalars(q))
            s.expunge_all()
        return rows

    def import_dir(self, folder: Path, holder: str, actor: str) -> tuple[list[ProtectedWork], list[str]]:
        """Register every .txt/.md and image file under ``folder`` (title: the relative path).
        Returns the works and, per file that failed, ``path: reason`` (the others are kept)."""
        folder = Path(folder)
        if not folder.is_dir():
            raise ValidationFailed(detail=f"{folder}: not a folder / 不是文件夹")
        done, errors = [], []
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            suffix, title = path.suffix.lower(), str(path.relative_to(folder))
            try:
                if suffix in TEXT_SUFFIXES:
                    done.append(self.register("text", path.read_text(encoding="utf-8"), title, holder, actor))
                elif suffix in IMAGE_SUFFIXES:
                    done.append(self.register("image", path.read_bytes(), title, holder, actor))
            except HeguiError as exc:  # a bad image (MediaUnreadable, ImageTooLarge …), too short, …
                errors.append(f"{path}: {exc.bilingual()}")
            except UnicodeDecodeError as exc:
                errors.append(f"{path}: not UTF-8 text / 不是 UTF-8 文本 (byte {exc.start})")
            except OSError as exc:
                errors.append(f"{path}: cannot read / 无法读取 ({exc.strerror or exc})")
        return done, errors

    def text_scores(self, text: str, idx: _Index | None = None) -> TextScores | None:
        """The raw scores of ``text`` against the register: the work with the most shared n-grams
        (longest run in characters, share of the output's n-grams) and the best MinHash Jaccard.
        None when the register has no text or ``text`` is shorter than ``min_chars``."""
        idx = idx or index(self.db)
        th = H.thresholds()["text"]
        if not idx.per_work or not text:
            return None
        tp = H.text_print(text)
        if len(tp.norm) < int(th["min_chars"]):
            return None
        n, out = int(th["ngram"]), tp.ngrams
        best = TextScores(output_chars=len(tp.norm))
        if out.size and idx.ngram_hashes.size:
            lo = np.searchsorted(idx.ngram_hashes, out, "left")
            hi = np.searchsorted(idx.ngram_hashes, out, "right")
            spans = [idx.ngram_owner[a:b] for a, b in zip(lo[hi > lo], hi[hi > lo], strict=True)]
            if spans:
                counts = np.bincount(np.concatenate(spans))
                for w in np.argsort(counts)[::-1][:5]:  # the works sharing the most n-grams
                    if counts[w] == 0:
                        break
                    mask = np.isin(out, idx.per_work[int(w)])
                    run_chars, share = H.longest_run(mask) + n - 1, float(mask.mean())
                    if (run_chars, share) > (best.run_chars, best.share):
                        best.ngram_work, best.run_chars, best.share = int(w), run_chars, share
        if tp.minhash is not None and idx.sig_rows.size:
            sims = (idx.sigs == np.asarray(tp.minhash, np.uint32)).mean(axis=1)
            top = int(np.argmax(sims))
            best.minhash_work, best.jaccard = int(idx.sig_rows[top]), float(sims[top])
        return best

    def check_text(self, text: str) -> CopyMatch | None:
        """Verbatim or near-verbatim reproduction of a registered text in ``text``."""
        idx = index(self.db)
        sc = self.text_scores(text, idx)
        if sc is None:
            return None
        th = H.thresholds()["text"]
        if sc.ngram_work is not None and (sc.run_chars >= int(th["verbatim_run_chars"])
                                          or sc.share >= float(th["verbatim_share"])):
            w = sc.ngram_work
            return CopyMatch(idx.ids[w], idx.titles[w], "text", "ngram", round(sc.share, 4),
                             f"longest_run_chars={sc.run_chars} share={sc.share:.3f} output_chars={sc.output_chars}")
        if sc.minhash_work is not None and sc.jaccard >= float(th["minhash_jaccard"]):
            w = sc.minhash_work
            return CopyMatch(idx.ids[w], idx.titles[w], "text", "minhash", round(sc.jaccard, 4),
                             f"jaccard={sc.jaccard:.3f} output_chars={sc.output_chars}")
        return None

    def check_image(self, data: bytes) -> CopyMatch | None:
        """A registered image that ``data`` is a (resized, recompressed, labelled …) copy of."""
        idx = index(self.db)
        if not idx.img_rows.size:
            return None
        p, d = (int(h, 16) for h in H.image_hashes(data))
        return _nearest(idx, p, d)


def _nearest(idx: _Index, p: int, d: int) -> CopyMatch | None:
    th = H.thresholds()["image"]
    dp, dd = H.hamming_many(idx.phash, p), H.hamming_many(idx.dhash, d)
    ok = (dp <= int(th["phash_max_distance"])) & (dd <= int(th["dhash_max_distance"]))
    if not ok.any():
        return None
    best = int(np.argmin(np.where(ok, dp, 65)))
    w = int(idx.img_rows[best])
    return CopyMatch(idx.ids[w], idx.titles[w], "image", "phash", round(1 - int(dp[best]) / 64, 4),
                     f"phash_distance={int(dp[best])} dhash_distance={int(dd[best])}")
