"""GB/T 45654 Annex A risk taxonomy, loaded from ``data/moderation/taxonomy.yaml``.

Annex A lists 5 categories and 31 risks (ids ``A1a``…``A5b``). Three slices recur in the standard:
A.1+A.2 (17 risks: keyword library, should-refuse bank, §8.1 b / §8.3 a), A.1–A.4 (29 risks: the 5 %
source rule, §5.1) and all 31 (test bank, classifier, §8.2 b / §8.4).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hegui.moderation.errors import PackError


class RiskClass(str, enum.Enum):
    POLITICAL = "political"
    MIXED = "mixed"
    UNIVERSAL = "universal"


@dataclass(frozen=True, slots=True)
class Risk:
    id: str
    category: str
    name_zh: str
    name_en: str
    risk_class: RiskClass
    aliases_zh: tuple[str, ...] = ()

    @property
    def labels_zh(self) -> tuple[str, ...]:
        """Every Chinese spelling seen for this risk (labels drift between copies)."""
        return (self.name_zh, *self.aliases_zh)


@dataclass(frozen=True, slots=True)
class RiskCategory:
    id: str
    name_zh: str
    name_en: str
    risks: tuple[Risk, ...]


class _RiskModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    id: str = Field(pattern=r"^A[1-5][a-z]$")
    risk_class: RiskClass = Field(alias="class")
    name_zh: str
    name_en: str
    aliases_zh: list[str] = []


class _CategoryModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^A[1-5]$")
    name_zh: str
    name_en: str
    risks: list[_RiskModel]


class _TaxonomyModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str
    source: str = ""
    categories: list[_CategoryModel]


@dataclass(frozen=True, slots=True)
class Taxonomy:
    version: str
    categories: tuple[RiskCategory, ...]

    @property
    def risks(self) -> tuple[Risk, ...]:
        return tuple(r for c in self.categories for r in c.risks)

    def risk(self, risk_id: str) -> Risk:
        for r in self.risks:
            if r.id == risk_id:
                return r
        raise KeyError(risk_id)

    def __contains__(self, risk_id: object) -> bool:
        return any(r.id == risk_id for r in self.risks)

    def ids(self, *categories: str) -> list[str]:
        """Risk ids of the given categories (all when none given), in Annex A order."""
        return [r.id for r in self.risks if not categories or r.category in categories]

    @property
    def keyword_slice(self) -> list[str]:
        """A.1 + A.2: the 17 risks the keyword library must cover (§8.1 b)."""
        return self.ids("A1", "A2")

    @property
    def harmful_slice(self) -> list[str]:
        """A.1–A.4: the 29 'illegal and harmful' risks of the 5 % source rule (§5.1)."""
        return self.ids("A1", "A2", "A3", "A4")

    @property
    def all_ids(self) -> list[str]:
        """All 31 risks (§8.2 b, §8.4)."""
        return self.ids()


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Load and validate a taxonomy file (the shipped one when ``path`` is None)."""
    if path is None:
        return default_taxonomy()
    return _parse(path.read_text(encoding="utf-8"), str(path))


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    ref = resources.files("hegui.data") / "moderation" / "taxonomy.yaml"
    return _parse(ref.read_text(encoding="utf-8"), "hegui/data/moderation/taxonomy.yaml")


def _parse(text: str, name: str) -> Taxonomy:
    try:
        model = _TaxonomyModel.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise PackError(location=name, detail=str(exc).splitlines()[0]) from exc
    cats = tuple(
        RiskCategory(c.id, c.name_zh, c.name_en,
                     tuple(Risk(r.id, c.id, r.name_zh, r.name_en, r.risk_class, tuple(r.aliases_zh))
                           for r in c.risks))
        for c in model.categories)
    ids = [r.id for c in cats for r in c.risks]
    if len(ids) != len(set(ids)) or any(not r.startswith(c.id) for c in cats for r in (x.id for x in c.risks)):
        raise PackError(location=name, detail="duplicate risk id or risk outside its category")
    return Taxonomy(model.version, cats)
