"""What one decision line says about its record, read fail closed (GB/T 45654 §5.1 a 2, B.2.1).

A decision line is ``{"id", "source", "file", "line", "kept", "reasons", "findings"}``; every field
is attacker-controlled and any may be missing. The moderation finding decides:

- ``harmful``: a harmful finding (or a ``harmful:<risk>`` reason) on one of the **29** risks of
  A.1–A.4, or on a risk the taxonomy does not know, or with no risk named — counts in the 5 % share;
- ``harmful_a5``: harmful on A.5 (quality) risks only — not in the 5 % share, but fails a sample
  (the pass rate counts all 31 risks);
- ``unjudged``: an ``unjudged`` reason, no moderation finding, a malformed one, or a degraded
  judgement that found nothing (a judge failed, so "clean" is not known) — counted **against**;
- ``not_assessed``: no moderation finding on a record excluded before content judgement
  (duplicate, opt-out, robots, no consent, too large) — it is not training data and is left out of
  the share's denominator;
- ``clean``: judged, not degraded, nothing found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from hegui.moderation.taxonomy import default_taxonomy

PRE_JUDGEMENT = frozenset({"duplicate", "near_duplicate", "optout", "robots", "no_consent", "too_large"})
HARMFUL, HARMFUL_A5, UNJUDGED, NOT_ASSESSED, CLEAN = "harmful", "harmful_a5", "unjudged", "not_assessed", "clean"


@lru_cache(maxsize=1)
def risk_slices() -> tuple[frozenset[str], frozenset[str]]:
    """(the 29 risks of A.1–A.4, all 31 risks)."""
    tax = default_taxonomy()
    return frozenset(tax.harmful_slice), frozenset(tax.all_ids)


def reason_head(reason: str) -> str:
    """``optout:req-1`` → ``optout``; ``harmful:A1f`` → ``harmful``."""
    return reason.split(":", 1)[0].strip() or "?"


@dataclass
class Decision:
    """One line, normalised: every field has a safe type whatever the input held."""

    id: str
    source: str
    kept: bool
    reasons: list[str]
    findings: dict[str, Any]
    status: str = CLEAN
    risks: list[str] = field(default_factory=list)

    @property
    def passes(self) -> bool:
        """Passes a sample: judged and none of the 31 risks found (B.2.1 pass rate)."""
        return self.status == CLEAN


def _risk_ids(mod: Mapping[str, Any]) -> list[str]:
    out = []
    for r in mod.get("risks") or []:
        rid = r.get("risk") if isinstance(r, Mapping) else r
        if isinstance(rid, str) and rid:
            out.append(rid[:16])
    return out


def classify(row: Mapping[str, Any]) -> Decision:
    """The normalised decision of one parsed JSON line (a mapping)."""
    raw_reasons = row.get("reasons", [])
    reasons = [str(r)[:200] for r in raw_reasons if r is not None] if isinstance(raw_reasons, list) else ["unjudged"]
    findings = row.get("findings") if isinstance(row.get("findings"), Mapping) else {}
    kept_raw = row.get("kept")
    # the line's own ``kept`` wins, even against its reasons: a record said to be kept may be in the
    # training corpus, so it counts as used (fail closed)
    kept = kept_raw if isinstance(kept_raw, bool) else not reasons
    d = Decision(id=str(row.get("id") or "")[:400], source=str(row.get("source") or "?")[:200], kept=kept,
                 reasons=reasons, findings=dict(findings))
    heads = {reason_head(r) for r in reasons}
    reason_risks = [r.split(":", 1)[1].strip()[:16] for r in reasons if reason_head(r) == "harmful" and ":" in r]
    mod = findings.get("moderation")
    harmful = bool(reason_risks) or any(reason_head(r) == "harmful" for r in reasons)
    judged = isinstance(mod, Mapping) and isinstance(mod.get("harmful"), bool)
    if judged:
        harmful = harmful or bool(mod["harmful"])  # type: ignore[index]
        d.risks = sorted(set(_risk_ids(mod)) | set(reason_risks)) if mod["harmful"] else sorted(set(reason_risks))  # type: ignore[index]
    else:
        d.risks = sorted(set(reason_risks))
    if harmful:
        a1_a4, _ = risk_slices()
        only_a5 = bool(d.risks) and all(r.startswith("A5") and r not in a1_a4 for r in d.risks)
        d.status = HARMFUL_A5 if only_a5 else HARMFUL
    elif "unjudged" in heads:
        d.status = UNJUDGED
    elif not judged:
        d.status = NOT_ASSESSED if heads & PRE_JUDGEMENT else UNJUDGED
    elif mod.get("degraded"):  # type: ignore[union-attr]
        d.status = UNJUDGED
    return d


def pi_types(findings: Mapping[str, Any]) -> dict[str, int]:
    """``{type: count}`` of the PI finding (``{"count", "types"}``); tolerant of any shape."""
    pi = findings.get("pi")
    if not isinstance(pi, Mapping):
        return {}
    types = pi.get("types")
    out: dict[str, int] = {}
    if isinstance(types, Mapping):
        for k, v in types.items():
            out[str(k)[:40]] = int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 else 1
    elif isinstance(types, list):
        for k in types:
            out[str(k)[:40]] = out.get(str(k)[:40], 0) + 1
    count = pi.get("count")
    if not out and isinstance(count, (int, float)) and not isinstance(count, bool) and count > 0:
        out["unspecified"] = int(count)
    return out
