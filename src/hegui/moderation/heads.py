"""From classifier head scores and recognizer spans to risk findings (GB/T 45654 Annex A).

A head that names one risk scores that risk; a broad head (``unsafe``, ``discrimination``,
``harmful_response`` …) scores the member risk with the strongest other evidence, else its last
(catch-all) risk, and says so in the evidence (:data:`UNSPECIFIED`) so the refusal does not name a
risk nothing supports.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from hegui.moderation.base import Evidence, RiskFinding

log = logging.getLogger("hegui.moderation.engine")
UNSPECIFIED = "/unspecified"  # evidence suffix: a broad head fired and nothing named the risk
MAX_EVIDENCE = 16


def add_head_findings(scores: dict[str, float], head_risks: dict[str, list[str]],
                      known: Callable[[str], list[str]], policy: Any, profile: str,
                      findings: dict[str, RiskFinding], span: int) -> None:
    """Add each head over its gate to ``findings`` (specific heads first, then broad ones)."""
    specific: dict[str, float] = {}
    for head, sc in scores.items():
        risks = known(head)
        if len(risks) == 1 and sc >= policy.head_threshold(profile, head):
            specific[risks[0]] = max(specific.get(risks[0], 0.0), float(sc))
    for head, sc in sorted(scores.items(), key=lambda kv: len(head_risks.get(kv[0], ()))):
        risks = known(head)
        if not risks or float(sc) < policy.head_threshold(profile, head):
            continue
        unnamed = False
        if len(risks) == 1:
            rid = risks[0]
        else:
            def strength(r: str) -> float:
                return max(specific.get(r, 0.0), findings[r].score if r in findings else 0.0)
            best = max(risks, key=strength)
            # nothing names the risk: record it under the head's last risk, say so in the evidence
            rid = best if strength(best) > 0 else risks[-1]
            unnamed = strength(best) < policy.rule(profile, best).flag_threshold
        f = findings.setdefault(rid, RiskFinding(rid, 0.0))
        if sc > f.score:
            f.score = float(sc)
        if len(f.evidence) < MAX_EVIDENCE and sc >= policy.rule(profile, rid).flag_threshold:
            tag = UNSPECIFIED if unnamed else ""
            f.evidence.append(Evidence(0, span, "", f"classifier:{head}={float(sc):.3f}{tag}"))


def mask_spans(text: str, to_mask: list[RiskFinding], pi_findings: list[Any], recognizers: Any) -> str:
    """The text with the evidence spans masked (the recognizers' own masking when every span is
    theirs, else ``*`` per character)."""
    spans = [(ev.start, ev.end) for f in to_mask for ev in f.evidence if ev.end > ev.start and ev.text]
    pi_spans = {(p.start, p.end) for p in pi_findings}
    if recognizers is not None and spans and all(s in pi_spans for s in spans):
        try:
            keep = [p for p in pi_findings if (p.start, p.end) in set(spans)]
            return str(recognizers.mask(text, keep))
        except Exception as exc:  # noqa: BLE001 - fall back to plain masking
            log.warning("recognizer masking failed: %s", exc)
    chars = list(text)
    for s, e in spans:
        for i in range(max(s, 0), min(e, len(chars))):
            chars[i] = "*"
    return "".join(chars)
