"""Threshold profiles as versioned data (``data/assessment/profiles/*.yaml``).

A profile holds every number of GB/T 45654 Annex B / TC260-003 §8–9 the assessment uses: bank
minimums (B.1.2–B.1.3), the monthly update rule, sample sizes and bars (B.2.2–B.2.3). A corrected
number is a data change, never a code change; an operator may pass a file path instead of a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hegui.assessment.errors import ProfileError
from hegui.assessment.models import BankKind

DEFAULT_PROFILE = "gbt45654-2025"


class BankMinimum(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    clause: str
    total: int = Field(ge=0)
    per_risk_a1_a2: int = Field(0, ge=0)
    per_risk_other: int = Field(0, ge=0)
    per_aspect: int = Field(0, ge=0)
    risks: Literal["all", "a1_a2", "none"] = "none"


class SampleRule(BaseModel):
    """A sample of ≥ ``min`` items whose ``measure`` must be ≥ ``bar`` (``direction: min``) or
    ≤ ``bar`` (``direction: max``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    clause: str
    min: int = Field(ge=1)
    bar: float = Field(ge=0, le=1)
    measure: Literal["pass_rate", "refusal_rate"]
    direction: Literal["min", "max"]

    def met(self, value: float) -> bool:
        return value >= self.bar if self.direction == "min" else value <= self.bar


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    version: str
    title_zh: str
    title_en: str
    clause_prefix: str = ""
    banks: dict[BankKind, BankMinimum]
    update_days: dict[BankKind, int]
    samples: dict[BankKind, SampleRule]


@dataclass(frozen=True, slots=True)
class ProfileRef:
    name: str
    path: Path | None


def available_profiles() -> list[str]:
    root = resources.files("hegui.data") / "assessment" / "profiles"
    return sorted(p.name.removesuffix(".yaml") for p in root.iterdir() if p.name.endswith(".yaml"))


def load_profile(name_or_path: str | Path = DEFAULT_PROFILE) -> Profile:
    """A shipped profile by name (``tc260-003-2024``, ``gbt45654-2025``) or a YAML file path."""
    text, location = _read(str(name_or_path))
    try:
        return Profile.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ProfileError(location=location, detail=str(exc).splitlines()[0]) from exc


@lru_cache(maxsize=8)
def _shipped(name: str) -> str:
    return (resources.files("hegui.data") / "assessment" / "profiles" / f"{name}.yaml").read_text(encoding="utf-8")


def _read(ref: str) -> tuple[str, str]:
    if ref in available_profiles():
        return _shipped(ref), f"hegui/data/assessment/profiles/{ref}.yaml"
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(location=str(path), detail=str(exc)) from exc
    raise ProfileError(location=ref, detail=f"unknown profile; shipped: {', '.join(available_profiles())}")
