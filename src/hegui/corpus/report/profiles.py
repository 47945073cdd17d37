"""Corpus-audit thresholds as versioned data (``data/corpus/profiles/*.yaml``): the 5 % source
ceiling (GB/T 45654 §5.1 a 2), the manual sample (B.2.1 a) and the technical sample (B.2.1 b).
A corrected number is a data change; an operator may pass a YAML path instead of a name."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hegui.corpus.report.errors import CorpusProfileError as ProfileError

DEFAULT_PROFILE = "gbt45654-2025"


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    clause: str


class SourceShare(_Rule):
    """A source whose illegal/harmful share (29 risks of A.1–A.4) is above ``max`` is not used."""

    max: float = Field(ge=0, le=1)
    decide_on: Literal["point", "upper"] = "point"


class ManualSample(_Rule):
    """≥ ``min`` records drawn from the whole corpus, reviewed by people, pass rate ≥ ``bar``;
    ``accept_census``: a corpus smaller than ``min`` reviewed in full conforms (default: no)."""

    min: int = Field(ge=1)
    bar: float = Field(ge=0, le=1)
    accept_census: bool = False


class TechnicalSample(_Rule):
    """≥ ``min_fraction`` of the corpus judged by keywords + classifier, pass rate ≥ ``bar``."""

    min_fraction: float = Field(gt=0, le=1)
    bar: float = Field(ge=0, le=1)


class CorpusProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    version: str
    title_zh: str
    title_en: str
    source_share: SourceShare
    manual_sample: ManualSample
    technical_sample: TechnicalSample
    sample_from: Literal["kept", "all"] = "kept"


def available_profiles() -> list[str]:
    root = resources.files("hegui.data") / "corpus" / "profiles"
    return sorted(p.name.removesuffix(".yaml") for p in root.iterdir() if p.name.endswith(".yaml"))


@lru_cache(maxsize=8)
def _shipped(name: str) -> str:
    return (resources.files("hegui.data") / "corpus" / "profiles" / f"{name}.yaml").read_text(encoding="utf-8")


def load_corpus_profile(name_or_path: str | Path | CorpusProfile = DEFAULT_PROFILE) -> CorpusProfile:
    """A shipped profile (``gbt45654-2025``, ``tc260-003-2024``), a YAML file, or a profile as is."""
    if isinstance(name_or_path, CorpusProfile):
        return name_or_path
    ref = str(name_or_path)
    if ref in available_profiles():
        text, location = _shipped(ref), f"hegui/data/corpus/profiles/{ref}.yaml"
    elif Path(ref).suffix in (".yaml", ".yml") and Path(ref).is_file():
        try:
            text, location = Path(ref).read_text(encoding="utf-8"), ref
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(location=ref, detail=str(exc)) from exc
    else:
        raise ProfileError(location=ref, detail=f"unknown corpus profile; shipped: {', '.join(available_profiles())}")
    try:
        return CorpusProfile.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ProfileError(location=location, detail=str(exc).splitlines()[0]) from exc
