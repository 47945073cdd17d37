"""Keyword-library coverage against the GB/T 45654 minimums (``hegui lexicon report``).

TC260-003 §8.1 a–b / GB/T 45654 B.1.1 a–b: at least 10,000 keywords in total, covering the 17 A.1 and
A.2 risks with at least 200 per A.1 risk and 100 per A.2 risk. The minimums are a versioned threshold
profile (``data/moderation/lexicon_minimums.yaml``). Terms are counted once per distinct folded form
and risk (a term listed in two packs counts once); pinyin and same-sound variants are not counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from hegui.moderation.errors import PackError
from hegui.moderation.normalize import fold_term
from hegui.moderation.packs.schema import Term
from hegui.moderation.taxonomy import Taxonomy, default_taxonomy

DEFAULT_PROFILE = "gbt45654-2025"


class _MinProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    clause: str
    total: int
    per_risk: dict[str, int]  # category id (A1) or risk id (A1a) → minimum


class _MinFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str
    profiles: dict[str, _MinProfile]


@dataclass(frozen=True, slots=True)
class RiskCoverage:
    risk_id: str
    name_zh: str
    name_en: str
    risk_class: str
    terms: int
    minimum: int

    @property
    def gap(self) -> int:
        return max(0, self.minimum - self.terms)


@dataclass(frozen=True)
class CoverageReport:
    profile: str
    profile_version: str
    clause: str
    total: int
    total_minimum: int
    risks: tuple[RiskCoverage, ...]

    @property
    def gaps(self) -> list[RiskCoverage]:
        return [r for r in self.risks if r.gap]

    @property
    def total_gap(self) -> int:
        return max(0, self.total_minimum - self.total)

    @property
    def meets(self) -> bool:
        return not self.gaps and not self.total_gap

    def to_dict(self) -> dict:
        return {"profile": self.profile, "profile_version": self.profile_version, "clause": self.clause,
                "total": self.total, "total_minimum": self.total_minimum, "total_gap": self.total_gap,
                "meets": self.meets,
                "risks": [{"id": r.risk_id, "name_zh": r.name_zh, "name_en": r.name_en, "class": r.risk_class,
                           "terms": r.terms, "minimum": r.minimum, "gap": r.gap} for r in self.risks]}


def load_minimums(profile: str = DEFAULT_PROFILE) -> tuple[str, _MinProfile]:
    ref = resources.files("hegui.data") / "moderation" / "lexicon_minimums.yaml"
    try:
        data = _MinFile.model_validate(yaml.safe_load(ref.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise PackError(location="hegui/data/moderation/lexicon_minimums.yaml", detail=str(exc)) from exc
    if profile not in data.profiles:
        raise PackError(location="lexicon_minimums.yaml",
                        detail=f"unknown threshold profile {profile!r}; known: {sorted(data.profiles)}")
    return data.version, data.profiles[profile]


def coverage(terms: Iterable[Term], *, profile: str = DEFAULT_PROFILE,
             taxonomy: Taxonomy | None = None) -> CoverageReport:
    """Count distinct terms per risk and compare them with the profile's minimums."""
    taxonomy = taxonomy or default_taxonomy()
    version, mins = load_minimums(profile)
    distinct = {(fold_term(t.text.rstrip("*")) or t.text, t.risk) for t in terms}
    per_risk = Counter(risk for _, risk in distinct)
    rows = []
    for risk in taxonomy.risks:
        minimum = mins.per_risk.get(risk.id, mins.per_risk.get(risk.category, 0))
        rows.append(RiskCoverage(risk.id, risk.name_zh, risk.name_en, risk.risk_class.value,
                                 per_risk.get(risk.id, 0), minimum))
    return CoverageReport(profile, version, mins.clause, len(distinct), mins.total, tuple(rows))
