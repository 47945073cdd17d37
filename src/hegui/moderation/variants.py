"""Spelling variants of a listed Chinese term: pinyin, pinyin initials, pinyin/Han mixes.

Users evade keyword filters by writing a term in pinyin (``dubo``), in initials (``ytw`` for 摇头丸),
half in pinyin (``du博``) or with same-sound characters (``赌搏``). Same-sound characters need no
variant: the matcher scans the syllable view (see :mod:`hegui.moderation.normalize`), where every
Han character is replaced by the code of its toneless syllable. The variants here are the
ASCII-bearing spellings, written in the compact view (the Han part of a mix stays literal, so
``监shi`` does not count as 奸尸).
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass

from hegui.moderation.normalize import is_han, syllable_form, tables

MAX_MIXED_HAN = 3  # 2**n - 2 mixes per term (du博, yao头wan); longer terms get full pinyin and initials


class Kind(str, enum.Enum):
    EXACT = "exact"  # the term itself, or a same-sound spelling of it (syllable view)
    PINYIN = "pinyin"
    INITIALS = "initials"
    MIXED = "mixed"


@dataclass(frozen=True, slots=True)
class Variant:
    pattern: str  # EXACT: in the syllable view; others: in the compact view
    kind: Kind


def _readings(term: str) -> list[list[str]]:
    """Per character: the toneless readings to spell it with (Han: primary and contextual)."""
    from pypinyin import Style, lazy_pinyin

    t = tables()
    table = t.syllable_of
    contextual = (lazy_pinyin(term, style=Style.NORMAL, errors=lambda s: list(s))
                  if any(ch in t.polyphonic for ch in term) else [])
    out: list[list[str]] = []
    for i, ch in enumerate(term):
        if not is_han(ch) or ch not in table:
            out.append([ch])
            continue
        options = [table[ch]]
        ctx = contextual[i].replace("ü", "v") if i < len(contextual) else ""
        if ctx.isascii() and ctx.isalpha() and ctx not in options:
            options.append(ctx)
        out.append(options)
    return out


def variants(term: str, *, pinyin: bool = True, initials: bool = True) -> list[Variant]:
    """All patterns for a folded term: the syllable form first, then pinyin spellings."""
    found = [Variant(syllable_form(term), Kind.EXACT)]
    han = [i for i, ch in enumerate(term) if is_han(ch)]
    if not han or not (pinyin or initials):
        return found
    readings = _readings(term)
    seen = {found[0].pattern}

    def add(pattern: str, kind: Kind) -> None:
        if pattern and pattern not in seen:
            seen.add(pattern)
            found.append(Variant(pattern, kind))

    if pinyin:
        for combo in itertools.islice(itertools.product(*readings), 8):
            add("".join(combo), Kind.PINYIN)
        if len(han) <= MAX_MIXED_HAN:
            for r in range(1, len(han)):
                for subset in itertools.combinations(han, r):
                    add("".join(readings[i][0] if i in subset else term[i] for i in range(len(term))),
                        Kind.MIXED)
    if initials and len(han) >= 3:
        add("".join(readings[i][0][0] if i in han else term[i] for i in range(len(term))), Kind.INITIALS)
    return found
