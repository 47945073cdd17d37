"""Cases policy: case types and their time limits, intake limits, blocklist parameters.

Shipped defaults live in ``config.yaml`` next to this module; an operator's
``<var_dir>/cases.yaml`` overrides any key (Interim Measures Art 15: the published procedure
and time limits are generated from this configuration).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hegui.errors import ConfigError

SHIPPED = Path(__file__).with_name("config.yaml")


class CaseType(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zh: str
    en: str
    working_days: int = Field(ge=1, le=60)
    pi: bool = False


class IntakeLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    burst: int = Field(5, ge=1)
    per_hour: int = Field(20, ge=1)
    api_burst: int = Field(50, ge=1)
    api_per_hour: int = Field(1000, ge=1)
    min_fill_seconds: float = Field(3, ge=0)
    max_text_chars: int = Field(10000, ge=100)
    max_files: int = Field(5, ge=0)
    max_file_bytes: int = Field(5_000_000, ge=1024)
    allowed_types: dict[str, str]


class BlocklistParams(BaseModel):
    """Fingerprint matching of the regeneration blocklist (see :mod:`hegui.cases.blocklist`)."""

    model_config = ConfigDict(extra="forbid")
    expiry_days: int = Field(183, ge=92)  # ≥ 3 months (draft Regulation on regeneration)
    shingle: int = Field(3, ge=1)
    phash_max_distance: int = Field(10, ge=0, le=32)
    # a whole answer matches when it holds this share of a blocked item's distinctive shingles
    near_threshold: float = Field(0.8, gt=0, le=1)
    # streamed output: cut when this share of the text so far (less the item's boilerplate) lies
    # inside a blocked item ...
    containment_threshold: float = Field(0.8, gt=0, le=1)
    # ... once at least this many normalised characters have been generated
    containment_min_chars: int = Field(24, ge=4)
    # either match needs at least this many shared distinctive shingles
    min_distinctive_shingles: int = Field(8, ge=2)
    # boilerplate: shingles of a taken-down answer that occur in this many other distinct answers
    # among the most recent ``boilerplate_sample`` ones, or in a declared ``boilerplate`` text
    boilerplate_min_answers: int = Field(3, ge=2)
    boilerplate_sample: int = Field(300, ge=0, le=5000)
    boilerplate: list[str] = []


class CasesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str
    case_types: dict[str, CaseType]
    due_soon_working_days: int = Field(3, ge=0)
    intake: IntakeLimits
    blocklist: BlocklistParams
    escalation_actions: list[str]
    appeal_path: str
    webhook_url: str = ""
    # days a PI access/copy archive stays downloadable before the retention job removes it
    pi_export_days: int = Field(15, ge=1, le=365)

    def type_label(self, key: str, lang: str) -> str:
        t = self.case_types.get(key)
        return key if t is None else (t.zh if lang == "zh" else t.en)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


@lru_cache(maxsize=8)
def load_config(var_dir: str | None = None) -> CasesConfig:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    override = Path(var_dir) / "cases.yaml" if var_dir else None
    if override and override.exists():
        data = _merge(data, yaml.safe_load(override.read_text(encoding="utf-8")) or {})
    try:
        return CasesConfig(**data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(detail=f"cases config ({override or SHIPPED}): {problems}") from exc
