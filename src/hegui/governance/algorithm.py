"""Periodic review of the algorithm mechanism (DS Art 15: 定期审核、评估、验证生成合成类算法机理机制).

``capture(services)`` reads the versions of the policy in force — moderation packs, taxonomy,
moderation components (classifier, recognizers), agreement, label settings, upstream models and
their filings — as a flat ``key → value`` map; ``run`` stores them with the reviewer's
conclusion and the difference from the previous review, so an inspector sees what changed
between two reviews.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.governance.common import log, now, text
from hegui.governance.models import AlgorithmReview

if TYPE_CHECKING:
    from hegui.app.services import Services


def capture(sv: Services) -> dict[str, str]:
    """The versions in force now, as ``{"moderation.pack.<id>": "1.2", …}``."""
    out: dict[str, str] = {}
    mod = getattr(sv.moderator, "inner", sv.moderator)
    out["moderation.engine"] = type(mod).__name__
    for pack in getattr(mod, "packs", ()) or ():
        out[f"moderation.pack.{pack.id}"] = str(pack.version)
    taxonomy = getattr(mod, "taxonomy", None)
    if taxonomy is None:
        from hegui.moderation.taxonomy import default_taxonomy

        taxonomy = default_taxonomy()
    out["moderation.taxonomy"] = str(taxonomy.version)
    for name, status in sorted((getattr(mod, "components", None) or {}).items()):
        out[f"moderation.component.{name}"] = str(status)
    out["moderation.profile"] = str(getattr(mod, "profile", "default"))
    out["agreement.version"] = sv.agreement.version
    out["agreement.hash"] = sv.agreement.text_hash[:16]
    for key, value in sorted(sv.settings.labels.model_dump().items()):
        out[f"labels.{key}"] = str(value)
    out["labels.text_label"] = _digest({"head": sv.text_label.head, "tail": sv.text_label.tail})
    for up in sv.settings.upstreams:
        for key in ("base_model", "base_model_provider", "base_model_filing_number", "region"):
            out[f"upstream.{up.name}.{key}"] = str(getattr(up, key, "") or "")
    out["service.model_filing_number"] = sv.settings.service.model_filing_number or ""
    return out


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def diff(before: dict[str, str] | None, after: dict[str, str]) -> dict[str, Any]:
    """What changed: keys added, removed, and changed (``[old, new]``)."""
    before = before or {}
    return {"added": {k: after[k] for k in sorted(after.keys() - before.keys())},
            "removed": {k: before[k] for k in sorted(before.keys() - after.keys())},
            "changed": {k: [before[k], after[k]] for k in sorted(after.keys() & before.keys())
                        if before[k] != after[k]}}


def latest(s: Session) -> AlgorithmReview | None:
    return s.scalars(select(AlgorithmReview).order_by(AlgorithmReview.reviewed_at.desc()).limit(1)).first()


def run(s: Session, versions: dict[str, str], *, reviewer: str, scope: str, conclusion: str,
        actor: str, at: dt.datetime | None = None) -> AlgorithmReview:
    """Record a review of ``versions`` (from :func:`capture`) with its diff against the last one."""
    previous = latest(s)
    d = diff(previous.versions if previous else None, versions)
    d["previous"] = previous.id if previous else None
    row = AlgorithmReview(reviewer=text(reviewer, "reviewer 审核人", limit=120), reviewed_at=at or now(),
                          scope=text(scope, "scope 范围"), versions=dict(versions), diff=d,
                          conclusion=text(conclusion, "conclusion 结论"))
    s.add(row)
    s.flush()
    log(s, actor, "algorithm_review.recorded", f"algorithm_review:{row.id}",
        {"previous": d["previous"], "added": len(d["added"]), "removed": len(d["removed"]),
         "changed": len(d["changed"])})
    return row


def listing(s: Session) -> list[AlgorithmReview]:
    return list(s.scalars(select(AlgorithmReview).order_by(AlgorithmReview.reviewed_at.desc())))
