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

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from hegui.moderation.normalize import Folded, fold, fold_term, is_han
from hegui.moderation.packs.schema import Term
from hegui.moderation.variants import Kind, variants

SEVERITY_SCORE = {1: 0.6, 2: 0.85, 3: 1.0}
WINDOW = 1 << 16  # characters of folded text per automaton call
MAX_HITS_PER_TERM = 8


@dataclass(frozen=True, slots=True)
class _Entry:
    term: Term
    pack: str  # id@version
    folded: str
    near: tuple[str, ...]
    exclude: tuple[str, ...]
    homophones: bool
    prefix: bool  # listed as "word*": no boundary needed after it


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
        self._find = _compile(self.patterns) if self.patterns else None

    def matches(self, haystack: str) -> Iterator[tuple[int, int, int]]:
        """(start, end, pattern index), overlapping, scanned in windows of :data:`WINDOW`."""
        if self._find is None:
            return
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
        for term, pack in terms:
            text = term.text[:-1] if term.text.endswith("*") and len(term.text) > 1 else term.text
            folded = fold_term(text)
            if not folded:
                continue
            flags = term.variants if term.variants is not None else _default_flags(folded)
            entry = _Entry(term, pack, folded, tuple(f for f in map(fold_term, term.near) if f),
                           tuple(f for f in map(fold_term, term.exclude) if f), "h" in flags,
                           text is not term.text)
            idx = len(self._entries)
            self._entries.append(entry)
            for v in variants(folded, pinyin="p" in flags, initials="i" in flags):
                if v.kind is Kind.EXACT:
                    # terms with same-sound matching are found (exact ones too) in the syllable view
                    target = syllable if entry.homophones and v.pattern != folded else compact
                    target.setdefault(v.pattern if target is syllable else folded, []).append((idx, Kind.EXACT))
                else:
                    compact.setdefault(v.pattern, []).append((idx, v.kind))
        self._compact = _Automaton(compact)
        self._syllable = _Automaton(syllable)

    @property
    def size(self) -> int:
        return len(self._entries)

    @property
    def pattern_count(self) -> int:
        return len(self._compact.patterns) + len(self._syllable.patterns)

    def terms(self) -> list[tuple[Term, str]]:
        return [(e.term, e.pack) for e in self._entries]

    def scan(self, text: str | Folded) -> list[TermHit]:
        """Every accepted hit in ``text`` (at most :data:`MAX_HITS_PER_TERM` per term)."""
        folded = text if isinstance(text, Folded) else fold(text)
        if not folded.compact:
            return []
        hits: list[TermHit] = []
        per_term: dict[int, int] = {}
        for automaton, view in ((self._compact, folded.compact), (self._syllable, folded.syllables)):
            for s, e, pid in automaton.matches(view):
                for idx, kind in automaton.targets[pid]:
                    if per_term.get(idx, 0) >= MAX_HITS_PER_TERM:
                        continue
                    hit = self._accept(self._entries[idx], kind, folded, s, e)
                    if hit is not None:
                        per_term[idx] = per_term.get(idx, 0) + 1
                        hits.append(hit)
        return hits

    def _accept(self, entry: _Entry, kind: Kind, f: Folded, s: int, e: int) -> TermHit | None:
        compact = f.compact
        exact = kind is Kind.EXACT and compact[s:e] == entry.folded
        if kind is Kind.EXACT and not exact and e - s < 2:
            return None
        index = f.index
        o_start, o_end = int(index[s]), int(index[e - 1]) + 1
        orig = f.original
        if o_start > 0 and _is_word_char(compact[s]) and _is_word_char(orig[o_start - 1]):
            return None  # inside a word of the original text (skill ≠ kill)
        if (not entry.prefix and o_end < len(orig) and _is_word_char(compact[e - 1])
                and _is_word_char(orig[o_end])):
            return None
        for ex in entry.exclude:
            lo, hi = max(0, e - len(ex)), s + len(ex)
            at = compact.find(ex, lo, hi)
            while at != -1 and at <= s:
                if at + len(ex) >= e:
                    return None
                at = compact.find(ex, at + 1, hi)
        if entry.near:
            w = entry.term.within
            if not any(compact.find(n, max(0, s - w - len(n)), e + w + len(n)) != -1 for n in entry.near):
                return None
        return TermHit(entry.term, entry.pack, kind, exact, o_start, o_end,
                       SEVERITY_SCORE.get(entry.term.severity, 0.85))
