"""GB/T 45674-2025 8.1 a/b: at least 200 safety-annotated items per GB/T 45654 Annex A risk, and
safety annotations at least 3 % of the annotated set — checked from imported safety labels
(``item_id,label``; a label is a risk id, several joined by ``|``, or ``safe``/``none``)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.annotation.agreement import read_labels
from hegui.annotation.errors import LabelFileError
from hegui.annotation.models import Coverage
from hegui.errors import ValidationFailed
from hegui.governance.common import log

PER_RISK_MIN = 200  # 8.1 a [C]
SHARE_MIN = 0.03  # 8.1 b [C]
SAFE = ("safe", "none", "无风险")


@dataclass
class CoverageResult:
    annotated_total: int
    safety_items: int
    share: float
    counts: dict[str, int]
    short: dict[str, int] = field(default_factory=dict)  # risk id -> count, below PER_RISK_MIN
    per_risk_ok: bool = False
    share_ok: bool = False

    @property
    def ok(self) -> bool:
        return self.per_risk_ok and self.share_ok

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok, "per_risk_min": PER_RISK_MIN, "share_min": SHARE_MIN}


def count(labels: dict[str, str], source: str = "labels") -> dict[str, int]:
    """Items per Annex A risk; an unknown label is an error naming the item."""
    from hegui.moderation.taxonomy import default_taxonomy

    ids = default_taxonomy().all_ids
    out = dict.fromkeys(ids, 0)
    for item, label in labels.items():
        for part in {p.strip() for p in label.split("|") if p.strip()}:
            if part.lower() in SAFE:
                continue
            if part not in out:
                raise LabelFileError(location=f"{source} item {item[:40]}",
                                     detail_en=f"{part[:40]!r} is not an Annex A risk id (A1a…A5b) or 'safe'",
                                     detail_zh=f"{part[:40]!r} 不是附录 A 风险编号（A1a…A5b）或 safe")
            out[part] += 1
    return out


def evaluate(counts: dict[str, int], safety_items: int, annotated_total: int) -> CoverageResult:
    if annotated_total < max(1, safety_items):
        raise ValidationFailed(message_en="the annotated total must be at least the number of safety items",
                               message_zh="标注数据总量须不少于安全标注条数")
    share = safety_items / annotated_total
    short = {k: v for k, v in counts.items() if v < PER_RISK_MIN}
    return CoverageResult(annotated_total, safety_items, share, counts, short, not short, share >= SHARE_MIN)


def record(s: Session, path: Path, *, annotated_total: int, actor: str) -> tuple[Coverage, CoverageResult]:
    labels = read_labels(path)
    result = evaluate(count(labels, str(path)), len(labels), int(annotated_total))
    row = Coverage(source=str(path)[:500], sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                   annotated_total=result.annotated_total, safety_items=result.safety_items, counts=result.counts,
                   result=result.to_dict(), recorded_by=actor)
    s.add(row)
    s.flush()
    log(s, actor, "annotation.coverage", f"ann_coverage:{row.id}",
        {"safety_items": result.safety_items, "share": result.share, "short": len(result.short)})
    return row, result


def latest(s: Session) -> Coverage | None:
    return s.scalars(select(Coverage).order_by(Coverage.created_at.desc()).limit(1)).first()
