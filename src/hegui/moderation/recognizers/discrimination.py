"""Discrimination-inducing questions and statements about a group (GB/T 45654 A2a–A2i, A1e).

TC260-003 / GB/T 45654 §5 A.2 lists discriminatory content by ethnicity, belief, nationality, region,
gender, age, occupation, health and other traits; Interim Measures Art 4(2) requires a service to take
measures against it. A *group* mention ("残疾人", "哪个省的人", "disabled people") followed within
``window`` characters of the same sentence by a *negative generalisation* is reported under the
group's risk:

* a negative evaluation ("负担", "不讲诚信", "素质差") right after the group, after one copula ("是"),
  or after a generalising marker ("都", "就是", "最", "天生") — or in a question frame ("为什么",
  "哪个", "凭什么") — scores :data:`GENERAL_SCORE` (guided by the core pack, refused for minors);
* a weak evaluation ("懒", "笨", "脏") only counts with a marker or frame and no "的" in between
  ("环卫工的工作很脏" is about the work);
* a call for exclusion or violence ("滚出", "消灭", "不配活", either side of the group), a
  dehumanising noun said of the group ("…都是畜生"), or any cue next to a slur: :data:`HATE_SCORE`
  (refused); against an ethnic group (A2a) it is reported as A1e (ethnic hatred).

Nothing is reported for the group alone, for a negator between group and cue ("残疾人不是负担"), for
one person ("这个司机很差"), or when the clause talks *about* discrimination ("反对地域歧视",
"这是偏见"). Vocabulary: ``data/discrimination.yaml``. Chinese terms are found in one Aho-Corasick
pass over the folded text (:func:`hegui.moderation.normalize.fold`), English ones in one pass over
the lowered text at word edges; pairing looks only at hits within the window, so time is linear.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from hegui.moderation.normalize import fold, fold_term
from hegui.moderation.recognizers.base import MAX_TEXT, load_data
from hegui.moderation.recognizers.content import ContentFinding, ContentRecognizer
from hegui.moderation.recognizers.sensitive import casefold_1to1, replace_surrogates

GENERAL_SCORE = 0.85
HATE_SCORE = 0.96
_SENTENCE = re.compile(r"[。！？!?\n\r…]|\.(?!\d)")
_CLAUSE = re.compile(r"[。！？!?\n\r…，,、；;：:]|\.(?!\d)")
_CUE_KINDS = ("strong", "weak", "hate", "hate_nouns")


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int  # in the scanned text (compact view for Chinese, lowered text for English)
    end: int
    kind: str  # group, slur, strong, weak, hate, hate_nouns, block
    risk: str = ""


class _Lang:
    """One language's vocabulary: an automaton over all terms and the word lists used on pairs."""

    def __init__(self, spec: dict[str, Any], fold_terms: bool) -> None:
        import daachorse

        norm = fold_term if fold_terms else (lambda t: str(t).lower().strip())
        self.norm = norm
        self.window = int(spec["window"])
        self.terms: dict[str, _Hit] = {}

        def add(term: object, kind: str, risk: str = "") -> None:
            key = norm(str(term))
            if key and key not in self.terms:
                self.terms[key] = _Hit(0, 0, kind, risk)

        for t in spec.get("not_groups", ()) + spec.get("not_predicates", ()):
            add(t, "block")
        for kind in ("hate", "hate_nouns", "strong", "weak"):
            for t in spec["predicates"].get(kind) or ():
                add(t, kind)
        for risk, terms in (spec.get("slurs") or {}).items():
            for t in terms:
                add(t, "slur", risk)
        for risk, terms in spec["groups"].items():
            for t in terms:
                add(t, "group", risk)
        which = spec.get("which") or {}
        for p in which.get("prefixes", ()):
            for noun, risk in (which.get("nouns") or {}).items():
                for suf in which.get("suffixes", ()):
                    add(f"{p}{noun}{suf}", "group", risk)
        for t in which.get("bare", ()):
            nouns = which.get("nouns") or {}
            add(t, "group", next((r for n, r in nouns.items() if n in t), "A2d"))
        for place in spec.get("places", ()):
            for suf in spec.get("place_suffixes", ()):
                add(f"{place}{suf}", "group", "A2d")
        self.ac = daachorse.CharwiseDoubleArrayAhoCorasick(list(self.terms))
        self.keys = list(self.terms)
        self.copulas = frozenset(norm(c) for c in spec.get("copulas", ()))
        self.stop_after = frozenset(str(spec.get("group_stop_after", "")))
        self._lists: dict[str, re.Pattern[str]] = {}
        for name in ("markers", "frames", "negators", "meta", "individual"):
            words = sorted({norm(m) for m in spec.get(name, ()) if norm(m)}, key=len, reverse=True)
            if not fold_terms:  # English: whole words (meta: word starts, e.g. "discriminat")
                right = "" if name == "meta" else "(?![a-z0-9])"
                words = [("(?<![a-z0-9])" if w[0].isalnum() else "") + re.escape(w) + right for w in words]
            else:
                words = [re.escape(w) for w in words]
            self._lists[name] = re.compile("|".join(words) or "(?!)")

    def has(self, name: str, text: str) -> bool:
        """Whether ``text`` holds a word of list ``name`` (markers, frames, negators, meta, individual)."""
        return self._lists[name].search(text) is not None

    def ends_with(self, name: str, text: str) -> bool:
        m = None
        for m in self._lists[name].finditer(text):
            pass
        return m is not None and m.end() == len(text)

    def hits(self, hay: str, word_edges: bool) -> tuple[list[_Hit], list[_Hit]]:
        """(groups, cues) in ``hay``: blocked and contained hits dropped, each sorted by start."""
        raw: list[_Hit] = []
        for s, e, i in self.ac.find_overlapping(hay):
            h = self.terms[self.keys[i]]
            if word_edges and ((s > 0 and hay[s - 1].isalnum()) or (e < len(hay) and hay[e].isalnum())):
                continue
            if h.kind == "group" and hay[e - 1] == "人" and e < len(hay) and hay[e] in self.stop_after:
                continue
            raw.append(_Hit(s, e, h.kind, h.risk))
        raw.sort(key=lambda h: (h.start, -h.end))
        kept: list[_Hit] = []
        reach = -1  # longest-first: a hit inside an earlier (longer or equal-start) hit is dropped
        for h in raw:
            if h.end <= reach:
                continue
            kept.append(h)
            reach = max(reach, h.end)
        groups = [h for h in kept if h.kind in ("group", "slur")]
        cues = [h for h in kept if h.kind in _CUE_KINDS]
        return groups, cues


def _bounds(pattern: re.Pattern[str], text: str) -> list[int]:
    return [m.start() for m in pattern.finditer(text)]


class DiscriminationRecognizer(ContentRecognizer):
    """A group mention with a negative generalisation (entity ``DISCRIMINATION``)."""

    name = "discrimination"
    entity_type = "DISCRIMINATION"
    risk_ids: ClassVar[tuple[str, ...]] = ("A2a", "A2b", "A2c", "A2d", "A2e", "A2f", "A2g", "A2h", "A2i", "A1e")
    languages: ClassVar[tuple[str, ...]] = ("zh", "en")

    def __init__(self) -> None:
        data = load_data("discrimination.yaml")
        self._zh = _Lang(data, fold_terms=True)
        self._en = _Lang(data["en"], fold_terms=False)

    def analyze(self, text: str) -> list[ContentFinding]:  # type: ignore[override]
        text = text[:MAX_TEXT]
        if not text:
            return []
        found: dict[tuple[int, int], ContentFinding] = {}
        folded = fold(text)
        index = folded.index

        def to_compact(bounds: list[int]) -> list[int]:
            return np.searchsorted(index, np.asarray(bounds, dtype=np.int64)).tolist() if bounds else []

        sent = to_compact(_bounds(_SENTENCE, text))
        clause = to_compact(_bounds(_CLAUSE, text))
        for s, e, score, risk, kind in self._pairs(self._zh, folded.compact, sent, clause, word_edges=False):
            os, oe = folded.span(s, e)
            self._keep(found, text, os, oe, score, risk, kind)
        low = replace_surrogates(casefold_1to1(text))  # lone surrogates: same-length stand-ins
        if re.search("[a-z]", low):
            sent_en, clause_en = _bounds(_SENTENCE, low), _bounds(_CLAUSE, low)
            for s, e, score, risk, kind in self._pairs(self._en, low, sent_en, clause_en, word_edges=True):
                self._keep(found, text, s, e, score, risk, kind)
        return sorted(found.values(), key=lambda f: f.start)

    def _keep(self, found: dict[tuple[int, int], ContentFinding], text: str, s: int, e: int, score: float,
              risk: str, kind: str) -> None:
        old = found.get((s, e))
        if old is None or old.score < score:
            found[(s, e)] = self.content(s, e, text, score, risk_id=risk, category=kind)

    @staticmethod
    def _pairs(lang: _Lang, hay: str, sent: list[int], clause: list[int],
               word_edges: bool) -> list[tuple[int, int, float, str, str]]:
        """(start, end, score, risk, kind) in ``hay`` coordinates for each cue paired with a group."""
        groups, cues = lang.hits(hay, word_edges)
        if not groups or not cues:
            return []
        w = lang.window
        g_ends = [g.end for g in groups]
        g_starts = [g.start for g in groups]
        out: list[tuple[int, int, float, str, str]] = []

        def same(bounds: list[int], a: int, b: int) -> bool:
            return bisect_right(bounds, a) == bisect_right(bounds, b - 1)

        def clause_of(pos: int) -> tuple[int, int]:
            i = bisect_right(clause, pos)
            return (clause[i - 1] if i else 0), (clause[i] if i < len(clause) else len(hay))

        for c in cues:
            hate = c.kind == "hate"
            # the nearest group ending before the cue (any cue), or starting after it (hate calls only)
            cands: list[_Hit] = []
            i = bisect_right(g_ends, c.start) - 1
            if i >= 0 and groups[i].end >= c.start - w:
                cands.append(groups[i])
            if hate:
                j = bisect_left(g_starts, c.end)
                if j < len(groups) and groups[j].start <= c.end + w:
                    cands.append(groups[j])
            for g in cands:
                before = g.end <= c.start
                a, b = (g.start, c.end) if before else (c.start, g.end)
                if not same(sent, a, b):
                    continue
                between = hay[g.end:c.start] if before else hay[c.end:g.start]
                if lang.has("negators", between.replace("是不是", "")):  # "是不是" asks, it does not deny
                    continue
                slur = g.kind == "slur"
                if not (hate or slur) and lang.ends_with("individual", hay[max(0, g.start - 4):g.start].rstrip()):
                    continue
                if before and not hate:
                    general = (not between.strip() or between.strip() in lang.copulas
                               or lang.has("markers", between)
                               or lang.has("frames", hay[max(sent_start(sent, g.start), g.start - w):c.start]))
                    if not general:
                        continue
                    if c.kind == "weak" and (("的" in between and not word_edges) or len(between) > w // 2):
                        continue
                cs, ce = clause_of(a)
                ce = max(ce, clause_of(b - 1)[1])
                ctx = hay[max(cs, a - w):min(ce, b + w)]
                if lang.has("meta", ctx):
                    continue
                strong = hate or c.kind == "hate_nouns" or slur
                risk = g.risk
                if strong and risk == "A2a" and (hate or c.kind == "hate_nouns"):
                    risk = "A1e"
                out.append((a, b, HATE_SCORE if strong else GENERAL_SCORE, risk,
                            "hate" if strong else "generalisation"))
                break
        return out


def sent_start(bounds: list[int], pos: int) -> int:
    """Start of the sentence holding ``pos`` (just after the previous boundary)."""
    i = bisect_right(bounds, pos)
    return bounds[i - 1] if i else 0
