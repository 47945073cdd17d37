"""Lures and illegal services next to an off-platform contact (GB/T 45654 A1h, A1f, A3e).

Gambling (博彩, 百家乐 … + 充值/返水), porn (裸聊, 约 …), black-market services (fake certificates
and invoices, account and SIM-card trading, 刷单, 跑分, 代考, DDoS, cheats) and fraud lures (refund
"customer service", investment tips, 兼职日结) are mostly advertised to move the victim to a private
channel. A term of that vocabulary within ``window`` characters of a contact
(:class:`~hegui.moderation.recognizers.contact.ContactRecognizer`, disguised or not, including
"私聊" / "加我" phrases) is reported under its category's risk:

* a *service* term next to any contact: :data:`SERVICE_SCORE` (refused by the default rule);
* two distinct *hook* terms next to a handle, or one next to a disguised contact:
  :data:`HOOKS_SCORE` (refused);
* hooks next to a plainly written handle or a plain "加我微信": :data:`WEAK_SCORE` (flagged);
  next to a phrase such as "联系我" or "私聊" alone: nothing (both are ordinary);
* a warning about the scheme within the window (谨防, 反诈 …): at most :data:`WARNING_SCORE` (below the
  default flag threshold; flagged in the ``minor`` profile).

Vocabulary: ``data/abuse.yaml`` (operators may replace it). Terms are matched on the folded window
(:func:`hegui.moderation.normalize.fold`), so separators, full-width and traditional forms still
match; only windows around contacts are folded, so texts without contacts cost one regex pass.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import ClassVar

from hegui.moderation.normalize import fold, fold_term
from hegui.moderation.recognizers.base import MAX_TEXT, load_data
from hegui.moderation.recognizers.contact import Contact, ContactRecognizer
from hegui.moderation.recognizers.content import ContentFinding, ContentRecognizer

SERVICE_SCORE = 0.9
HOOKS_SCORE = 0.8
WEAK_SCORE = 0.6
WARNING_SCORE = 0.45


@dataclass(frozen=True, slots=True)
class _Term:
    category: str
    risk: str
    service: bool


class AbuseLureRecognizer(ContentRecognizer):
    """Service and lure vocabulary within a window of a contact (entity ``LURE_<CATEGORY>``)."""

    name = "abuse_lure"
    entity_type = "LURE"
    risk_ids: ClassVar[tuple[str, ...]] = ("A1h", "A1f", "A3e")
    languages: ClassVar[tuple[str, ...]] = ("zh",)

    def __init__(self, contacts: ContactRecognizer | None = None) -> None:
        data = load_data("abuse.yaml")
        self.window = int(data["window"])
        self._contacts = contacts or ContactRecognizer()
        self._terms: dict[str, _Term] = {}
        for cat, spec in data["categories"].items():
            for kind in ("services", "hooks"):
                for t in spec.get(kind) or ():
                    key = fold_term(str(t))
                    if key and (key not in self._terms or kind == "services"):
                        self._terms[key] = _Term(cat, str(spec["risk"]), kind == "services")
        self._pattern = re.compile("|".join(map(re.escape, sorted(self._terms, key=len, reverse=True))))
        self._warning = re.compile("|".join(map(re.escape, sorted({fold_term(w) for w in data["warnings"]},
                                                                   key=len, reverse=True))))

    def _windows(self, contacts: tuple[Contact, ...], n: int) -> list[tuple[int, int]]:
        """Merged ``[start, end)`` windows around the contacts (sorted by start)."""
        out: list[tuple[int, int]] = []
        for c in contacts:
            s, e = max(0, c.start - self.window), min(n, c.end + self.window)
            if out and s <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], e))
            else:
                out.append((s, e))
        return out

    def analyze(self, text: str) -> list[ContentFinding]:  # type: ignore[override]
        text = text[:MAX_TEXT]
        contacts = self._contacts.contacts(text)
        if not contacts:
            return []
        w = self.window
        starts = [c.start for c in contacts]
        reach = w + max(c.end - c.start for c in contacts)

        def near(s: int, e: int) -> list[Contact]:
            lo, hi = bisect_left(starts, s - reach), bisect_right(starts, e + w)
            return [c for c in contacts[lo:hi] if c.start - w <= e and s <= c.end + w]

        found: dict[tuple[int, int], ContentFinding] = {}
        for ws, we in self._windows(contacts, len(text)):
            folded = fold(text[ws:we])
            hits: list[tuple[int, int, _Term, list[Contact]]] = []
            for m in self._pattern.finditer(folded.compact):
                s, e = folded.span(m.start(), m.end())
                s, e = s + ws, e + ws
                close = near(s, e)
                if close and not any(c.start <= s and e <= c.end for c in close):  # not "私聊" itself
                    hits.append((s, e, self._terms[m.group()], close))
            if not hits:
                continue
            warnings = [folded.span(m.start(), m.end())[0] + ws for m in self._warning.finditer(folded.compact)]
            hook_at = [(s, text[s:e]) for s, e, t, _ in hits if not t.service]
            hook_starts = [h[0] for h in hook_at]
            for s, e, term, close in hits:
                handle = any(c.kind == "handle" for c in close)
                hooks = {h for _, h in hook_at[bisect_left(hook_starts, s - w):bisect_right(hook_starts, e + w)]}
                if term.service:
                    score = SERVICE_SCORE
                elif any(c.obfuscated for c in close) or (len(hooks) >= 2 and handle):
                    score = HOOKS_SCORE
                elif handle or any(c.kind == "divert" for c in close):
                    score = WEAK_SCORE
                else:
                    continue  # a hook beside "联系我": two ordinary things
                if bisect_left(warnings, s - w - 8) < bisect_right(warnings, e + w):
                    score = min(score, WARNING_SCORE)
                best = max(close, key=lambda c: c.score)
                old = found.get((s, e))
                if old is None or old.score < score:
                    found[(s, e)] = self.content(s, e, text, score, entity_type=f"LURE_{term.category.upper()}",
                                                 risk_id=term.risk, platform=best.platform,
                                                 canonical=best.canonical, category=term.category)
        return sorted(found.values(), key=lambda f: f.start)
