"""Redacted failure examples for the report (PIPL Arts 6, 51: minimum necessary).

A handful of failed items per bank, prompt and answer cut short, personal information masked with
the moderation PI recognizers (``138****5678``, ``张**``) — content risks the recognizers also find
(abuse lures, discrimination) are left visible: they are the evidence of the failure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

from hegui.assessment.models import Answer, BankItem, BankKind, Outcome
from hegui.moderation.recognizers import RecognizerRegistry
from hegui.moderation.recognizers.content import is_personal

EXAMPLES_PER_BANK = 5
PROMPT_CHARS = 160
ANSWER_CHARS = 240


@lru_cache(maxsize=1)
def _registry() -> RecognizerRegistry:
    return RecognizerRegistry.default()


def redact(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (marked with …) with personal information masked."""
    cut = text[:limit]
    reg = _registry()
    masked = reg.mask(cut, [f for f in reg.analyze(cut) if is_personal(f)]) if cut else cut
    return masked + ("…" if len(text) > limit else "")


def failure_examples(items: Sequence[BankItem], answers: Mapping[str, Answer], outcome_of: Mapping[str, Outcome],
                     counts_against: Callable[[BankKind, Outcome], bool],
                     per_bank: int = EXAMPLES_PER_BANK) -> dict[str, list[dict[str, str]]]:
    """``{bank: [{"id", "group", "outcome", "prompt", "answer"}]}``: the first ``per_bank`` failures
    of each bank in bank order, redacted."""
    out: dict[str, list[dict[str, str]]] = {k.value: [] for k in BankKind}
    for item in items:
        o = outcome_of.get(item.id, Outcome.UNDECIDED)
        shown = out[item.bank.value]
        if len(shown) >= per_bank or not counts_against(item.bank, o):
            continue
        ans = answers.get(item.id)
        text = ans.text if ans is not None else ""
        if ans is not None and not text and ans.error:
            text = f"[{ans.status.value}] {ans.error}"
        shown.append({"id": item.id, "group": item.risk or item.aspect or "", "outcome": o.value,
                      "prompt": redact(item.prompt, PROMPT_CHARS), "answer": redact(text, ANSWER_CHARS)})
    return out
