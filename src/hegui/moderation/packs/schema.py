"""Pack manifest schema (``pack.yaml``), validated by pydantic with unknown keys forbidden.

A pack is a directory::

    pack.yaml      id, version, languages, risks covered, templates, guidance, thresholds, profiles
    *.tsv          terms: term <TAB> risk [<TAB> severity <TAB> near <TAB> within <TAB> exclude <TAB> variants]

See ``docs/moderation.md`` for the full format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hegui.moderation.base import Action

RISK_PATTERN = r"^A[1-5][a-z]$"
RISK_OR_STAR = r"^(A[1-5][a-z]|\*|unspecified)$"  # unspecified: a broad classifier head alone
TEMPLATE_KEY = r"^(A[1-5][a-z]|\*|unspecified|degraded)$"  # degraded: a component could not judge
GUIDANCE_KEY = r"^(A[1-5][a-z]|\*)$"
_ON_DEGRADED = (Action.ALLOW, Action.FLAG, Action.REFUSE, Action.BLOCK)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Template(_Strict):
    """A bilingual refusal text; ``{risk_zh}`` / ``{risk_en}`` are replaced by the risk's name."""

    zh: str = Field(min_length=1, max_length=2000)
    en: str = Field(min_length=1, max_length=2000)


class RuleModel(_Strict):
    """Policy for one risk in one profile. Unset fields inherit from ``*`` and then ``extends``.

    A risk scoring ``>= threshold`` gets the direction's action; ``>= flag_threshold`` (below
    ``threshold``) is flagged for human review. ``input: guide`` (正向引导) passes the request on
    with the risk's ``guidance`` as a system instruction, up to ``guide_ceiling``: at or above it
    the request is refused. The answer to a guided request is checked with
    ``guide_output_threshold`` as every risk's threshold where that is lower.
    """

    input: Action | None = None
    output: Action | None = None
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    flag_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    guide_ceiling: float | None = Field(default=None, ge=0.0, le=1.0)
    guide_output_threshold: float | None = Field(default=None, ge=0.0, le=1.0)

    @field_validator("output")
    @classmethod
    def _no_output_guide(cls, v: Action | None) -> Action | None:
        if v is Action.GUIDE:
            raise ValueError("guide is an input action: an answer cannot be guided (use refuse)")
        return v


class PIRule(_Strict):
    """What to do with personal information found by the recognizers (PIPL Arts 28, 51)."""

    input: Action | None = None
    output: Action | None = None

    @field_validator("input", "output")
    @classmethod
    def _no_guide(cls, v: Action | None) -> Action | None:
        if v is Action.GUIDE:
            raise ValueError("guide is not an action for personal information (use mask or refuse)")
        return v


class DegradedRule(_Strict):
    """What to do when a moderation component (classifier, recognizers) could not judge a text:
    fail closed by default (refuse inputs, cut outputs)."""

    input: Action | None = None
    output: Action | None = None

    @field_validator("input", "output")
    @classmethod
    def _allowed(cls, v: Action | None) -> Action | None:
        if v is not None and v not in _ON_DEGRADED:
            raise ValueError(f"on_degraded must be one of {[a.value for a in _ON_DEGRADED]}")
        return v


class Profile(_Strict):
    """``classifier_heads``: minimum score for a classifier head to count at all (useful for broad
    heads such as ``unsafe`` that map to many risks); per-risk thresholds apply after it."""

    extends: str | None = None
    personal_information: PIRule | None = None
    on_degraded: DegradedRule | None = None
    classifier_heads: dict[str, float] = {}
    rules: dict[str, RuleModel] = {}

    @field_validator("rules")
    @classmethod
    def _risk_keys(cls, v: dict[str, RuleModel]) -> dict[str, RuleModel]:
        import re

        bad = [k for k in v if not re.match(RISK_OR_STAR, k)]
        if bad:
            raise ValueError(f"unknown risk ids {bad}")
        return v


class PackManifest(_Strict):
    format: int = Field(default=1, ge=1, le=1)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    version: str = Field(min_length=1, max_length=64)
    name_zh: str = ""
    name_en: str = ""
    description: str = ""
    languages: list[str] = Field(default_factory=list)
    risks: list[str] = Field(default_factory=list)
    terms: list[str] = Field(default_factory=lambda: ["*.tsv"])  # globs relative to the pack dir
    templates: dict[str, Template] = {}
    guidance: dict[str, Template] = {}  # positive-guidance instructions per risk (``*``: any other)
    profiles: dict[str, Profile] = {}

    @field_validator("risks")
    @classmethod
    def _risks(cls, v: list[str]) -> list[str]:
        import re

        bad = [k for k in v if not re.match(RISK_PATTERN, k)]
        if bad:
            raise ValueError(f"unknown risk ids {bad}")
        return v

    @field_validator("templates")
    @classmethod
    def _template_keys(cls, v: dict[str, Template]) -> dict[str, Template]:
        import re

        bad = [k for k in v if not re.match(TEMPLATE_KEY, k)]
        if bad:
            raise ValueError(f"unknown risk ids {bad}")
        return v

    @field_validator("guidance")
    @classmethod
    def _guidance_keys(cls, v: dict[str, Template]) -> dict[str, Template]:
        import re

        bad = [k for k in v if not re.match(GUIDANCE_KEY, k)]
        if bad:
            raise ValueError(f"unknown risk ids {bad} (guidance keys: a risk id or *)")
        return v


@dataclass(frozen=True, slots=True)
class Term:
    """One listed term. ``near``/``within``: the term counts only with one of ``near`` at most
    ``within`` folded characters away; ``exclude``: longer words containing it that do not count
    (杀毒 for 杀)."""

    text: str
    risk: str
    severity: int = 2
    near: tuple[str, ...] = ()
    within: int = 0
    exclude: tuple[str, ...] = ()
    variants: str | None = None  # None = default for the length; letters p/i/h
    location: str = ""


@dataclass(frozen=True)
class Pack:
    manifest: PackManifest
    path: Path | None
    terms: tuple[Term, ...] = ()
    mtime: float = 0.0
    files: tuple[Path, ...] = field(default_factory=tuple)

    @property
    def id(self) -> str:
        return self.manifest.id

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def label(self) -> str:
        return f"{self.manifest.id}@{self.manifest.version}"
