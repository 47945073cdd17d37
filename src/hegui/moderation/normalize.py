"""Text normalisation for evasion-resistant matching, with an offset map back to the original.

TC260-003 §8.1 / GB/T 45654 B.1.1: the keyword library must find listed terms even when users
disguise them. One fold per code point, precomputed into numpy lookup tables so a text is folded in
a few vectorised passes (time and memory linear in its length):

* NFKC (full-width → half-width, compatibility forms), case folding, accents stripped;
* traditional → simplified (OpenCC's character table), common homoglyphs (Cyrillic/Greek → Latin);
* zero-width / invisible / control characters, lone surrogates, whitespace, punctuation, symbols and
  emoji removed, so separators inserted between characters are ignored.

:class:`Folded` holds the *compact* view (the folded text), the *syllable* view (each Han character
replaced by a private-use code of its toneless pinyin, so same-sound substitutions collide; 1:1 with
the compact view) and ``index``: compact position → original position.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

#: Code point ranges folded explicitly (everything else maps to itself): the BMP, the
#: supplementary planes with emoji and CJK extensions, and plane 14 (invisible tag characters).
_RANGES = ((0, 0x30000), (0xE0000, 0xE1000), (0xF0000, 0x110000))
_KEEP_CATEGORIES = ("L", "N")
_SYLLABLE_BASE = 0xE000  # BMP private use area; input private-use characters are removed first
_EXPANDS = 0xFFFFFFFF  # in the one-lookup table: this character folds to more than one

#: Letters that look like Latin letters (Cyrillic, Greek, others) → the Latin letter.
HOMOGLYPHS = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "ӏ": "l", "ԛ": "q",
    "ԝ": "w", "һ": "h", "ɡ": "g", "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w", "ı": "i", "ɩ": "i", "ʟ": "l",
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j", "ᴋ": "k",
    "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w",
    "ʏ": "y", "ᴢ": "z", "〇": "零",
}


@dataclass(frozen=True, slots=True)
class Folded:
    """A folded text: ``compact`` and ``syllables`` share positions; ``index[i]`` is the original
    position of ``compact[i]``."""

    original: str
    compact: str
    syllables: str
    index: np.ndarray
    source: np.ndarray | None = None  # original code points of the kept characters (computed when None)
    cps: np.ndarray | None = None  # code points of ``compact`` (uint32)

    @property
    def changed(self) -> int:
        """Kept non-ASCII characters that folding changed (traditional, full-width, homoglyphs …)."""
        src = self.source
        if src is None:
            if not len(self.index):
                return 0
            src = np.frombuffer(self.original.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)[self.index]
        if not len(src):
            return 0
        return int(np.count_nonzero((tables().lut[src] != src) & (src >= 0x80)))

    @property
    def disguise_ratio(self) -> float:
        """Share of the original that folding removed or changed (high for disguised text)."""
        if not self.original:
            return 0.0
        return (len(self.original) - len(self.compact) + self.changed) / len(self.original)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` covering compact ``[start, end)``."""
        if end <= start or start >= len(self.index):
            return (0, 0)
        return int(self.index[start]), int(self.index[end - 1]) + 1


@dataclass(frozen=True)
class _Tables:
    lut: np.ndarray  # uint32[0x110000]: code point → folded code point (when 1:1)
    length: np.ndarray  # uint8[0x110000]: folded length (0 removed, 1 normal, >1 expands)
    expand: dict[int, str]  # code points whose fold is longer than one character
    syllable: np.ndarray  # uint32[0x110000]: folded code point → syllable code (Han) or itself
    syllable_of: dict[str, str]  # Han character → its toneless pinyin
    polyphonic: frozenset[str]  # Han characters with more than one reading
    punct: np.ndarray  # bool[0x110000]: punctuation and spaces (kept by :func:`readable`)
    folded: np.ndarray  # uint32[0x110000]: lut where length is 1, 0 where removed, _EXPANDS where longer


def _t2s() -> dict[str, str]:
    """OpenCC's traditional → simplified character table (first candidate)."""
    text = (resources.files("opencc") / "dictionary" / "TSCharacters.txt").read_text(encoding="utf-8")
    table = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) == 1:
            first = parts[1].split(" ")[0]
            if len(first) == 1:
                table[parts[0]] = first
    return table


def _fold_char(ch: str, t2s: dict[str, str]) -> str:
    s = unicodedata.normalize("NFKC", ch).casefold()
    decomposed = unicodedata.normalize("NFD", s)
    if any(unicodedata.category(c) == "Mn" for c in decomposed):
        s = unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))
    s = "".join(HOMOGLYPHS.get(c, c) for c in (t2s.get(c, c) for c in s))
    return "".join(c for c in s if unicodedata.category(c)[0] in _KEEP_CATEGORIES)


def _strip_tone(reading: str) -> str:
    s = unicodedata.normalize("NFD", reading).replace("\u0308", "v")  # ü → v as typed on keyboards
    return "".join(c for c in s if c.isascii() and c.isalpha())


@lru_cache(maxsize=1)
def tables() -> _Tables:
    """Build the fold tables once per process (about a second)."""
    from pypinyin.pinyin_dict import pinyin_dict

    t2s = _t2s()
    lut = np.arange(0x110000, dtype=np.uint32)
    length = np.ones(0x110000, dtype=np.uint8)
    expand: dict[int, str] = {}
    punct = np.zeros(0x110000, dtype=bool)
    for lo, hi in _RANGES:
        for cp in range(lo, hi):
            if 0xD800 <= cp < 0xE000:
                length[cp] = 0
                continue
            ch = chr(cp)
            cat = unicodedata.category(ch)
            if cat[0] in "PZ":
                punct[cp] = True
            if cat in ("Cn", "Co", "Cs"):
                folded = ""
            elif ch.isascii():
                folded = ch.lower() if cat[0] in _KEEP_CATEGORIES else ""
            else:
                folded = _fold_char(ch, t2s)
            if len(folded) == 1:
                lut[cp] = ord(folded)
            elif not folded:
                length[cp] = 0
            else:
                length[cp] = min(len(folded), 255)
                expand[cp] = folded[:255]
    syllable = np.arange(0x110000, dtype=np.uint32)
    syllable_of: dict[str, str] = {}
    codes: dict[str, int] = {}
    polyphonic: set[str] = set()
    for cp, readings in pinyin_dict.items():
        if cp >= 0x110000 or lut[cp] != cp or length[cp] != 1:
            continue
        if "," in readings:
            polyphonic.add(chr(cp))
        tone_free = _strip_tone(readings.split(",")[0])
        if not tone_free:
            continue
        code = codes.setdefault(tone_free, _SYLLABLE_BASE + len(codes))
        syllable[cp] = code
        syllable_of[chr(cp)] = tone_free
    folded = np.where(length == 1, lut, np.where(length == 0, 0, _EXPANDS)).astype(np.uint32)
    return _Tables(lut, length, expand, syllable, syllable_of, frozenset(polyphonic), punct, folded)


def fold(text: str) -> Folded:
    """Fold ``text`` (any string, lone surrogates included) into its compact and syllable views."""
    t = tables()
    if not text:
        return Folded(text, "", "", np.zeros(0, dtype=np.int64))
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    # one table lookup per character gives its fold, 0 (removed) or _EXPANDS; the kept positions
    # are the offset map back to the original text
    mapped = t.folded[cps]
    if mapped.max() != _EXPANDS:
        index = np.flatnonzero(mapped.astype(bool))
        folded_cps = mapped[index]
        kept = None  # original code points of the kept characters: only Folded.changed needs them
    else:  # rare: some character expands (ligatures, ㍿ …); splice the expansions in
        lens = t.length[cps]
        index = np.repeat(np.arange(len(cps)), lens)
        kept = cps[index]
        folded_cps = t.lut[kept]
        starts = np.cumsum(lens, dtype=np.int64) - lens
        for pos in np.flatnonzero(lens > 1):
            ext = t.expand[int(cps[pos])]
            at = int(starts[pos])
            folded_cps[at:at + len(ext)] = np.frombuffer(ext.encode("utf-32-le"), dtype=np.uint32)
    compact = folded_cps.tobytes().decode("utf-32-le")
    syllables = t.syllable[folded_cps].tobytes().decode("utf-32-le")
    return Folded(text, compact, syllables, index, kept, folded_cps)


def readable(text: str) -> str:
    """Text for a model to read: characters folded (traditional → simplified, full-width,
    homoglyphs, case) and invisible characters, symbols and emoji removed, but punctuation and
    spaces kept (unlike the compact view)."""
    if not text:
        return ""
    t = tables()
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    lens = t.length[cps]
    punct = t.punct[cps]
    keep = ((lens >= 1) | punct) & ~((cps >= 0xD800) & (cps < 0xE000))
    kept = cps[keep]
    out = np.where(lens[keep] == 1, t.lut[kept], kept).astype(np.uint32)
    return out.tobytes().decode("utf-32-le")


def fold_term(term: str) -> str:
    """The compact form of a listed term (what :func:`fold` makes of it)."""
    return fold(term).compact


def syllable_form(folded_term: str) -> str:
    """The syllable view of an already folded term."""
    t = tables()
    if not folded_term:
        return ""
    cps = np.frombuffer(folded_term.encode("utf-32-le"), dtype=np.uint32)
    return t.syllable[cps].tobytes().decode("utf-32-le")


def is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\U00020000" <= ch <= "\U0002ffff"
