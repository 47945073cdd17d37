"""Hashed n-gram features shared by training and inference (no sklearn, no torch at run time).

Text is normalised (NFKC, case folding, invisible characters dropped, whitespace collapsed), then
hashed into ``2**bits`` buckets: character n-grams (``char_min``..``char_max``; Han text has no
word boundaries), word n-grams (1..``word_max``) over Latin/digit tokens and, when ``syl_max`` > 0,
syllable n-grams (1..``syl_max``) over the *sound* of the text: every Han character becomes its
toneless pinyin syllable (a table lookup, ``data/syllables.tsv``) and every run of Latin letters that
splits entirely into pinyin syllables ("zhizao zhadan", "zhìzào") becomes the same syllables, so
"制造炸弹", "zhizao炸dan" and the same-sound rewrite "智造炸蛋" share those features. The hash is a
fixed 64-bit FNV-style polynomial computed in numpy, so the same text always yields the same buckets
on every platform and Python version. Weighting: sublinear tf × idf, L2-normalised.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

_INVISIBLE = re.compile("[\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff\u00ad\u180e]")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9][a-z0-9']*")
_PRIME = np.uint64(0x100000001B3)
_MIX = np.uint64(0xFF51AFD7ED558CCD)
MAX_CHARS = 20_000  # longer texts are scored on their first MAX_CHARS characters
SYLLABLE_TABLE = "data/syllables.tsv"  # toneless pinyin syllable → the BMP Han characters read so
_LATIN_RUN = re.compile("[a-z\u00e0-\u00fc\u0101-\u01dc]+")  # letters incl. tone-marked vowels
_MAX_SYLLABLE = 6
_MAX_RUN = 48  # longer Latin runs are not read as pinyin
_MAX_MEMO = 100_000


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """Hashing parameters; stored in the model header so inference matches training."""

    bits: int = 18
    char_min: int = 1
    char_max: int = 4
    word_max: int = 2
    syl_max: int = 0  # syllable n-grams 1..syl_max (0: no sound channel, as in models before 1.3.0)

    @property
    def dim(self) -> int:
        return 1 << self.bits

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def normalize(text: str) -> str:
    """NFKC + case fold + drop invisible characters + collapse whitespace (first ``MAX_CHARS``)."""
    return normalize_all(text[:MAX_CHARS])


def normalize_all(text: str) -> str:
    """:func:`normalize` without the length cap (long texts are then scored in windows)."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _INVISIBLE.sub("", text)
    return _SPACE.sub(" ", text).strip()


def _finish(h: np.ndarray, seed: int, mask: int) -> np.ndarray:
    h = h ^ np.uint64(seed)
    h = h ^ (h >> np.uint64(33))
    h = h * _MIX
    h = h ^ (h >> np.uint64(33))
    return (h & np.uint64(mask)).astype(np.int64)


def _ngrams(codes: np.ndarray, lo: int, hi: int, seed_base: int, mask: int) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    n_codes = codes.shape[0]
    for n in range(lo, hi + 1):
        if n_codes < n:
            break
        h = codes[: n_codes - n + 1].copy()
        for k in range(1, n):
            h = h * _PRIME ^ codes[k : n_codes - n + 1 + k]
        out.append(_finish(h, seed_base + n, mask))
    return out


# -- sound channel ---------------------------------------------------------------------------------

def _strip_tone(reading: str) -> str:
    s = unicodedata.normalize("NFD", reading).replace("\u0308", "v")  # ü → v as typed on keyboards
    return "".join(c for c in s if c.isascii() and c.isalpha())


def build_syllable_table() -> str:
    """The text of ``data/syllables.tsv`` from pypinyin (maintenance and training only).

    One line per toneless syllable: ``syllable<TAB>characters``; each BMP Han character appears once,
    under its first (most common) reading. Sorted, so the same pypinyin gives the same bytes.
    """
    from pypinyin.pinyin_dict import pinyin_dict

    by_syl: dict[str, list[str]] = {}
    for cp, readings in sorted(pinyin_dict.items()):
        if cp >= 0x10000 or not unicodedata.category(chr(cp)).startswith("L"):
            continue
        syl = _strip_tone(readings.split(",")[0])
        if syl and len(syl) <= _MAX_SYLLABLE:
            by_syl.setdefault(syl, []).append(chr(cp))
    return "".join(f"{syl}\t{''.join(chars)}\n" for syl, chars in sorted(by_syl.items()))


class _Segments(dict[str, tuple[str, ...]]):
    """Memo of :func:`_segment` (bounded: cleared when it grows past ``_MAX_MEMO`` runs)."""

    def __init__(self, latin: frozenset[str]) -> None:
        super().__init__()
        self.latin = latin

    def __missing__(self, run: str) -> tuple[str, ...]:
        if len(self) >= _MAX_MEMO:
            self.clear()
        syls = self[run] = _segment(run, self.latin)
        return syls


@dataclass(frozen=True, slots=True)
class SyllableTable:
    """Han character → syllable code (a uint64 array lookup) and Latin pinyin segmentation."""

    lut: np.ndarray  # uint64[0x10000]: code point → syllable hash code, 0 for none
    code_of: dict[str, int]  # syllable (and its typed spellings of ü) → hash code
    latin: frozenset[str]  # syllables that Latin runs may be split into (those with a vowel)
    sha256: str  # of the table file: recorded in the model header
    segments: _Segments  # Latin run → its syllables or (), filled on demand

    @classmethod
    def parse(cls, text: str) -> SyllableTable:
        lut = np.zeros(0x10000, dtype=np.uint64)
        code_of: dict[str, int] = {}
        for line in text.splitlines():
            syl, _, chars = line.partition("\t")
            code = code_of.setdefault(syl, zlib.crc32(syl.encode()) + 1)
            cps = np.frombuffer(chars.encode("utf-32-le"), dtype=np.uint32)
            lut[cps[cps < 0x10000]] = code
        for syl in [s for s in code_of if "uv" in s]:  # ü: the table spells it "uv" (NFD ü minus the
            for alt in (syl.replace("uv", "v"), syl.replace("uv", "yu"), syl.replace("uve", "ue")):
                code_of.setdefault(alt, code_of[syl])  # diaeresis); people type lv, lyu, lue
        latin = frozenset(s for s in code_of if any(v in s for v in "aeiouv"))
        return cls(lut, code_of, latin, hashlib.sha256(text.encode("utf-8")).hexdigest(), _Segments(latin))


@lru_cache(maxsize=1)
def syllable_table() -> SyllableTable:
    """The shipped table (read once per process)."""
    ref = resources.files("hegui.moderation.classifier").joinpath(SYLLABLE_TABLE)
    return SyllableTable.parse(ref.read_text(encoding="utf-8"))


_TONE_FREE = {c: _strip_tone(c) for c in map(chr, range(0xE0, 0x1DD)) if _strip_tone(c)}


def _segment(run: str, latin: frozenset[str]) -> tuple[str, ...]:
    """``run`` split into pinyin syllables (fewest syllables, then longest first), or () if it can't be."""
    run = "".join(_TONE_FREE.get(c, c) for c in run) if not run.isascii() else run
    n = len(run)
    if n > _MAX_RUN or not run.isascii():
        return ()
    best: list[tuple[int, int] | None] = [None] * (n + 1)  # best[i]: (syllables, next cut) for run[i:]
    best[n] = (0, n)
    for i in range(n - 1, -1, -1):
        for j in range(min(n, i + _MAX_SYLLABLE), i, -1):
            rest = best[j]
            if rest is not None and run[i:j] in latin and (best[i] is None or rest[0] + 1 < best[i][0]):
                best[i] = (rest[0] + 1, j)
    if best[0] is None:
        return ()
    out, i = [], 0
    while i < n:
        j = best[i][1]  # type: ignore[index]
        out.append(run[i:j]); i = j
    return tuple(out)


def syllable_codes(norm: str, chars: np.ndarray, table: SyllableTable) -> np.ndarray:
    """The sound of normalised text as a sequence of syllable codes (other characters skipped)."""
    return _syllables(norm, chars, table)[0]


def _syllables(norm: str, chars: np.ndarray, table: SyllableTable) -> tuple[np.ndarray, np.ndarray]:
    """Syllable codes in text order and the character position each comes from (a Latin run's
    syllables all sit at the run's start)."""
    lut = table.lut
    codes = lut[np.minimum(chars, 0xFFFF).astype(np.int64)]
    codes[chars > 0xFFFF] = 0
    han_pos = np.flatnonzero(codes)
    runs = _LATIN_RUN.findall(norm)
    if not runs:
        return codes[han_pos], han_pos
    cache = table.segments
    segs = [cache[w] for w in runs]  # dict lookups: a word is split once per process
    if not any(segs):
        return codes[han_pos], han_pos
    c = chars
    in_run = ((c >= 97) & (c <= 122)) | ((c >= 0xE0) & (c <= 0xFC)) | ((c >= 0x101) & (c <= 0x1DC))
    starts = np.flatnonzero(in_run & ~np.concatenate(([False], in_run[:-1])))  # one per run, in order
    counts = np.fromiter((len(x) for x in segs), dtype=np.int64, count=len(segs))
    first = np.cumsum(counts) - counts
    k = np.arange(int(counts.sum())) - np.repeat(first, counts)
    extra_pos = np.repeat(starts, counts) + k / np.repeat(counts + 1, counts)
    code_of = table.code_of
    extra_codes = [code_of[syl] for x in segs for syl in x]
    pos = np.concatenate([han_pos.astype(np.float64), extra_pos])
    seq = np.concatenate([codes[han_pos], np.asarray(extra_codes, dtype=np.uint64)])
    order = np.argsort(pos, kind="stable")
    return seq[order], pos[order].astype(np.int64)


def bucket_ids(text: str, cfg: FeatureConfig) -> np.ndarray:
    """All hashed n-gram bucket ids of ``text`` (with repetitions)."""
    norm = normalize(text)
    if not norm:
        return np.zeros(0, dtype=np.int64)
    mask = cfg.dim - 1
    chars = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    parts = _ngrams(chars, cfg.char_min, cfg.char_max, 0x100, mask)
    words = _WORD.findall(norm)
    if words and cfg.word_max > 0:
        wcodes = np.fromiter((zlib.crc32(w.encode()) for w in words), dtype=np.uint64, count=len(words))
        parts += _ngrams(wcodes, 1, cfg.word_max, 0x200, mask)
    if cfg.syl_max > 0:
        scodes = syllable_codes(norm, chars, syllable_table())
        if scodes.size:
            parts += _ngrams(scodes, 1, cfg.syl_max, 0x300, mask)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def vectorize(text: str, cfg: FeatureConfig, idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sparse feature vector as (bucket ids, values): sublinear tf × idf, L2-normalised."""
    ids = bucket_ids(text, cfg)
    if ids.size == 0:
        return ids, np.zeros(0, dtype=np.float32)
    uniq, counts = np.unique(ids, return_counts=True)
    vals = (1.0 + np.log(counts.astype(np.float32))) * idf[uniq]
    norm = float(np.sqrt(np.dot(vals, vals)))
    if norm > 0:
        vals = vals / norm
    return uniq, vals.astype(np.float32)


def spans(norm: str, cfg: FeatureConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every hashed n-gram of already normalised ``norm`` with the span it covers: (bucket ids,
    start, end) in characters of ``norm``. The same buckets as :func:`bucket_ids` (in another
    order); the spans let one pass serve many windows of a long text."""
    empty = np.zeros(0, dtype=np.int64)
    if not norm:
        return empty, empty, empty
    mask = cfg.dim - 1
    chars = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    ids: list[np.ndarray] = []
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []

    def add(parts: list[np.ndarray], lo: int, first: np.ndarray, last_end: np.ndarray) -> None:
        for n, h in enumerate(parts, start=lo):
            ids.append(h)
            starts.append(first[:h.size])
            ends.append(last_end[n - 1:n - 1 + h.size])

    pos = np.arange(chars.shape[0], dtype=np.int64)
    add(_ngrams(chars, cfg.char_min, cfg.char_max, 0x100, mask), cfg.char_min, pos, pos + 1)
    if cfg.word_max > 0:
        found = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(norm)]
        if found:
            wcodes = np.fromiter((zlib.crc32(w.encode()) for w, _, _ in found), dtype=np.uint64, count=len(found))
            wstart = np.fromiter((a for _, a, _ in found), dtype=np.int64, count=len(found))
            wend = np.fromiter((b for _, _, b in found), dtype=np.int64, count=len(found))
            add(_ngrams(wcodes, 1, cfg.word_max, 0x200, mask), 1, wstart, wend)
    if cfg.syl_max > 0:
        scodes, spos = _syllables(norm, chars, syllable_table())
        if scodes.size:
            add(_ngrams(scodes, 1, cfg.syl_max, 0x300, mask), 1, spos, spos + 1)
    if not ids:
        return empty, empty, empty
    return np.concatenate(ids), np.concatenate(starts), np.concatenate(ends)
