"""The keyword matcher: Aho-Corasick (``daachorse``) over the folded views of a text.

TC260-003 §8.1 / GB/T 45654 B.1.1 (keyword library). Two automata, each scanned once, linear time:

* the *compact* automaton holds every folded term and its pinyin spellings (full pinyin,
  initials, pinyin/Han mixes such as ``du博``) and scans the compact view;
* the *syllable* automaton holds the syllable form of terms that allow same-sound matches (three
  or more Han characters by default, or flag ``h``) and scans the syllable view.

Each raw match is then checked: ASCII word boundaries in the original text, exclusions (杀毒 for
杀) and context rules ("A near B within N"). Spans map back to the original text. Long texts are
scanned in windows so memory stays bounded.

``daachorse`` was chosen on numbers over ``ahocorasick-rs``, ``pyahocorasick`` and ``hyperscan``
(see ``bench/moderation/run.py`` and ``docs/moderation.md``).
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from hegui.moderation.normalize import Folded, fold, fold_term, is_han
from hegui.moderation.packs.schema import Term
from hegui.moderation.variants import Kind, variants

SEVERITY_SCORE = {1: 0.6, 2: 0.85, 3: 1.0}
WINDOW = 1 << 16  # characters of folded text per automaton call
MAX_HITS_PER_TERM = 8
_ASCII = re.compile(r"[\x00-\x7f]")
_NON_WORD = re.compile(r"[\W_]+")
NEAR_ASCII_MIN = 8192  # longer folded texts scan ASCII-bearing patterns only around ASCII characters


@dataclass(frozen=True, slots=True)
class _Entry:
    term: Term
    pack: str  # id@version
    folded: str
    near: tuple[str, ...]
    near_ids: tuple[int, ...]  # ids of ``near`` in the lexicon's context-word automaton
    exclude: tuple[str, ...]
    homophones: bool
    prefix: bool  # listed as "word*": no boundary needed after it
    score: float  # from the severity
    single_word: bool = False  # one Latin word: must not match across words of the text ("hero in")


@dataclass(slots=True)
class TermHit:
    term: Term
    pack: str
    kind: Kind
    exact: bool
    start: int  # original text span
    end: int
    score: float


def _default_flags(folded: str) -> str:
    han = sum(1 for c in folded if is_han(c))
    if han == 0:
        return ""
    if han == 1 and len(folded) == 1:
        return ""
    if han == 2:
        return "p"
    # initials of 3 characters (ytw) occur inside ordinary words too often to scan for by default
    return "ph" if han == 3 else "pih"


def _is_word_char(ch: str) -> bool:
    """A letter or digit of a script that separates words with spaces (not Han)."""
    if ch < "\u0080":
        return ch.isalnum()
    return ch.isalnum() and not is_han(ch)


def _compile(patterns: list[str]) -> Callable[[str], list[tuple[int, int, int]]]:
    """daachorse's overlapping search; ``ahocorasick-rs`` only while daachorse is not installed."""
    try:
        import daachorse
    except ImportError:  # pragma: no cover - transitional, until the dependency list names daachorse
        import ahocorasick_rs

        ac = ahocorasick_rs.AhoCorasick(patterns)
        return lambda hay: [(s, e, p) for p, s, e in ac.find_matches_as_indexes(hay, overlapping=True)]
    return daachorse.CharwiseDoubleArrayAhoCorasick(patterns).find_overlapping


class _Automaton:
    """One daachorse automaton over a set of patterns, each pointing to (entry, kind) targets."""

    def __init__(self, by_pattern: dict[str, list[tuple[int, Kind]]]) -> None:
        self.patterns = list(by_pattern)
        self.targets = [by_pattern[p] for p in self.patterns]
        self.max_len = max((len(p) for p in self.patterns), default=1)
        # longest run of non-ASCII characters in a pattern (see :meth:`matches_near_ascii`)
        self.reach = max((len(r) for p in self.patterns for r in _ASCII.split(p)), default=0)
        self._find = _compile(self.patterns) if self.patterns else None

    def matches(self, haystack: str) -> Iterable[tuple[int, int, int]]:
        """(start, end, pattern index), overlapping, scanned in windows of :data:`WINDOW`."""
        if self._find is None:
            return ()
        if len(haystack) <= WINDOW:
            return self._find(haystack)
        return self._windows(haystack)

    def matches_near_ascii(self, haystack: str, cps: np.ndarray | None = None) -> Iterable[tuple[int, int, int]]:
        """Like :meth:`matches`, for an automaton whose every pattern holds an ASCII character
        (pinyin spellings, English terms, ``du博`` mixes): only the ASCII characters of
        ``haystack`` and the :attr:`reach` characters on either side of each are scanned, joined
        into one string with a separator no pattern holds. A Chinese text has few ASCII characters;
        an English one is scanned whole.

        Exact: every character of a match is at most :attr:`reach` characters from an ASCII
        character of the same match (no pattern has a longer run of non-ASCII characters), so each
        match lies inside one kept stretch, found once; a match in the joined string cannot cross
        a separator, so it is a match of ``haystack``. ``cps``: the code points of ``haystack``."""
        if self._find is None or not haystack:
            return ()
        if len(haystack) <= NEAR_ASCII_MIN:
            return self.matches(haystack)  # short text: one scan costs less than finding the stretches
        if cps is None:
            cps = np.frombuffer(haystack.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        n = len(cps)
        where = np.flatnonzero(cps < 0x80)
        if not len(where):
            return ()
        k = self.reach
        # stretches [p - k, p + k] around the ASCII positions p, merged where they touch
        lo, hi = np.maximum(where - k, 0), np.minimum(where + k + 1, n)
        new = np.flatnonzero(lo[1:] > hi[:-1]) + 1
        starts = lo[np.concatenate(([0], new))]
        ends = hi[np.concatenate((new - 1, [len(hi) - 1]))]
        if starts[0] == 0 and ends[-1] == n and len(starts) == 1:
            return self.matches(haystack)  # one stretch: the whole text (English)
        sizes = ends - starts
        # positions kept, with a -1 (the separator) before every stretch but the first
        seps = np.cumsum(sizes + 1) - sizes - 1
        back_arr = np.repeat(starts - seps - 1, sizes + 1) + np.arange(int(sizes.sum()) + len(sizes))
        back_arr[seps] = -1
        back_arr = back_arr[1:]
        joined = np.where(back_arr >= 0, cps[np.maximum(back_arr, 0)], 0).astype(np.uint32)  # U+0000: never folded
        found = list(self.matches(joined.tobytes().decode("utf-32-le")))
        if not found:
            return ()
        arr = np.array(found, dtype=np.int64)
        return list(zip(back_arr[arr[:, 0]].tolist(), (back_arr[arr[:, 1] - 1] + 1).tolist(), arr[:, 2].tolist()))

    def _windows(self, haystack: str) -> Iterator[tuple[int, int, int]]:
        assert self._find is not None
        n = len(haystack)
        overlap = self.max_len - 1
        for base in range(0, n, WINDOW):
            last = base + WINDOW >= n
            for s, e, pid in self._find(haystack[base:base + WINDOW + overlap]):
                if last or s < WINDOW:  # otherwise the next window finds it again
                    yield base + s, base + e, pid


class Lexicon:
    """A compiled, immutable term set; build a new one to change terms."""

    def __init__(self, terms: Iterable[tuple[Term, str]]) -> None:
        self._entries: list[_Entry] = []
        compact: dict[str, list[tuple[int, Kind]]] = {}
        syllable: dict[str, list[tuple[int, Kind]]] = {}
        near_words: dict[str, int] = {}
        for term, pack in terms:
            text = term.text[:-1] if term.text.endswith("*") and len(term.text) > 1 else term.text
            folded = fold_term(text)
            if not folded:
                continue
            flags = term.variants if term.variants is not None else _default_flags(folded)
            near = tuple(f for f in map(fold_term, term.near) if f)
            entry = _Entry(term, pack, folded, near, tuple(near_words.setdefault(n, len(near_words)) for n in near),
                           tuple(f for f in map(fold_term, term.exclude) if f), "h" in flags,
                           text is not term.text, SEVERITY_SCORE.get(term.severity, 0.85),
                           folded.isascii() and not _NON_WORD.search(text))
            idx = len(self._entries)
            self._entries.append(entry)
            for v in variants(folded, pinyin="p" in flags, initials="i" in flags):
                if v.kind is Kind.EXACT:
                    # terms with same-sound matching are found (exact ones too) in the syllable view
                    target = syllable if entry.homophones and v.pattern != folded else compact
                    target.setdefault(v.pattern if target is syllable else folded, []).append((idx, Kind.EXACT))
                else:
                    compact.setdefault(v.pattern, []).append((idx, v.kind))
        # Patterns with an ASCII character (pinyin spellings, English terms, du博 mixes) are scanned
        # only around the ASCII characters of the text; Han-only ones over all of it.
        self._compact = _Automaton({p: t for p, t in compact.items() if not _ASCII.search(p)})
        self._ascii = _Automaton({p: t for p, t in compact.items() if _ASCII.search(p)})
        self._syllable = _Automaton(syllable)
        # context words ("near") of all terms: one overlapping scan of the text, done only when a
        # term with a context rule was found, replaces a str.find per word per raw hit
        self._near_find = _compile(list(near_words)) if near_words else None

    @property
    def size(self) -> int:
        return len(self._entries)

    @property
    def pattern_count(self) -> int:
        return len(self._compact.patterns) + len(self._ascii.patterns) + len(self._syllable.patterns)

    def terms(self) -> list[tuple[Term, str]]:
        return [(e.term, e.pack) for e in self._entries]

    def scan(self, text: str | Folded) -> list[TermHit]:
        """Every accepted hit in ``text`` (at most :data:`MAX_HITS_PER_TERM` per term)."""
        folded = text if isinstance(text, Folded) else fold(text)
        if not folded.compact:
            return []
        hits: list[TermHit] = []
        per_term: dict[int, int] = {}
        near: list[dict[int, list[int]]] = []  # filled on first use: context word id → start positions
        entries = self._entries
        compact = folded.compact
        han = self._compact.matches(compact)
        asc = self._ascii.matches_near_ascii(compact, folded.cps)
        if asc:
            # one automaton used to hold both: keep its order (end, then start) so the per-term cap
            # and the evidence order stay as they were
            han_t, asc_t = self._compact.targets, self._ascii.targets
            found_compact: Iterable[tuple[int, int, list[tuple[int, Kind]]]] = heapq.merge(
                ((s, e, han_t[pid]) for s, e, pid in han), ((s, e, asc_t[pid]) for s, e, pid in asc),
                key=lambda m: (m[1], m[0]))
        else:
            han_t = self._compact.targets
            found_compact = ((s, e, han_t[pid]) for s, e, pid in han)
        syl_t = self._syllable.targets
        found_syllable = ((s, e, syl_t[pid]) for s, e, pid in self._syllable.matches(folded.syllables))
        accept = self._accept
        for found in (found_compact, found_syllable):
            for s, e, targets in found:
                for idx, kind in targets:
                    seen = per_term.get(idx, 0)
                    if seen >= MAX_HITS_PER_TERM:
                        continue
                    hit = accept(entries[idx], kind, folded, s, e, near)
                    if hit is not None:
                        per_term[idx] = seen + 1
                        hits.append(hit)
        return hits

    def _near_positions(self, compact: str) -> dict[int, list[int]]:
        """Start positions (ascending) of every context word in the compact view."""
        out: dict[int, list[int]] = {}
        if self._near_find is not None:
            for s, _e, pid in self._near_find(compact):
                out.setdefault(pid, []).append(s)
            for starts in out.values():
                starts.sort()
        return out

    def _accept(self, entry: _Entry, kind: Kind, f: Folded, s: int, e: int,
                near: list[dict[int, list[int]]]) -> TermHit | None:
        # all checks must pass, so the most selective ones (context rules) come first
        compact = f.compact
        exact = kind is Kind.EXACT and compact[s:e] == entry.folded
        if kind is Kind.EXACT and not exact and e - s < 2:
            return None
        if entry.near:
            # a context word wholly inside [s - w - len(n), e + w + len(n)): starts in [s - w - len(n), e + w]
            if not near:
                near.append(self._near_positions(compact))
            positions = near[0]
            w = entry.term.within
            for n, nid in zip(entry.near, entry.near_ids):
                starts = positions.get(nid)
                if starts:
                    i = bisect_left(starts, max(0, s - w - len(n)))
                    if i < len(starts) and starts[i] <= e + w:
                        break
            else:
                return None
        for ex in entry.exclude:
            lo, hi = max(0, e - len(ex)), s + len(ex)
            at = compact.find(ex, lo, hi)
            while at != -1 and at <= s:
                if at + len(ex) >= e:
                    return None
                at = compact.find(ex, at + 1, hi)
        index = f.index
        o_start, o_end = int(index[s]), int(index[e - 1]) + 1
        orig = f.original
        # word boundaries (skill ≠ kill); _is_word_char inlined: isalnum and (ASCII or not Han)
        c = compact[s]
        if o_start > 0 and c.isalnum() and (c < "\x80" or not is_han(c)) and _is_word_char(orig[o_start - 1]):
            return None  # inside a word of the original text
        if not entry.prefix and o_end < len(orig):
            c = compact[e - 1]
            if c.isalnum() and (c < "\x80" or not is_han(c)) and _is_word_char(orig[o_end]):
                return None
        if entry.single_word and _spans_words(orig, o_start, o_end):
            return None  # "hero in" is not "heroin": Latin words joined by folding are not a term
        return TermHit(entry.term, entry.pack, kind, exact, o_start, o_end, entry.score)


def _spans_words(orig: str, start: int, end: int) -> bool:
    """True when a Latin match covers two or more ordinary words of the original text (pieces of
    two or more letters between separators): split single letters ("k i l l") are evasion, split
    words are just adjacent words."""
    span = orig[start:end]
    if span.isalnum():
        return False
    pieces = [p for p in _NON_WORD.split(span) if p]
    return len(pieces) > 1 and min(len(p) for p in pieces) >= 2
