"""Agreement review: check a service-agreement text against the rules courts and regulators applied
to generative-AI terms (issue 11; Interim Measures Art 9; PIPL Arts 15, 23; Civil Code Arts 496–497).

The rules are data (``data/agreement_lint/rules.yaml``, versioned). A target is one ``zh.md`` /
``en.md`` file, an agreement version folder holding both, or an agreement root (its newest
version, as :func:`hegui.identity.agreement.current_agreement` picks it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from hegui.errors import ConfigError

RULES = Path(str(resources.files("hegui") / "data" / "agreement_lint" / "rules.yaml"))


class LintRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    severity: Literal["error", "warning"]
    lang: Literal["zh", "en"]
    zh: str
    en: str
    basis: str
    must_match: list[str] = []
    must_not_match: list[str] = []
    when: Literal["third_party_upstreams"] | None = None

    @field_validator("must_match", "must_not_match")
    @classmethod
    def _compiles(cls, v: list[str]) -> list[str]:
        for p in v:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"bad pattern {p!r}: {exc}") from exc
        return v


@dataclass(frozen=True, slots=True)
class LintFinding:
    rule: LintRule
    path: Path
    line: int
    excerpt: str  # the offending line, or "" when required wording is missing

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def to_dict(self) -> dict[str, object]:
        return {"rule": self.rule.id, "severity": self.rule.severity, "file": str(self.path), "line": self.line,
                "message_zh": self.rule.zh, "message_en": self.rule.en, "basis": self.rule.basis,
                "excerpt": self.excerpt}


def load_rules(path: Path | None = None) -> tuple[str, list[LintRule]]:
    path = path or RULES
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        rules = [LintRule(**r) for r in data["rules"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValidationError) as exc:
        raise ConfigError(message_en=f"agreement lint rules {path}: {exc}",
                          message_zh=f"协议审查规则文件 {path} 有误：{exc}") from exc
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise ConfigError(message_en=f"agreement lint rules {path}: duplicate rule ids",
                          message_zh=f"协议审查规则文件 {path} 中规则编号重复")
    return str(data.get("version", "")), rules


def lint_text(text: str, *, path: Path, lang: str, rules: list[LintRule],
              third_party: bool = False) -> list[LintFinding]:
    """Findings of the rules for ``lang`` on one text (line numbers from 1)."""
    out: list[LintFinding] = []
    lines = text.splitlines()
    for rule in rules:
        if rule.lang != lang or (rule.when == "third_party_upstreams" and not third_party):
            continue
        for pattern in rule.must_match:
            if not re.search(pattern, text):
                out.append(LintFinding(rule, path, 1, ""))
                break
        for pattern in rule.must_not_match:
            rx = re.compile(pattern)
            out.extend(LintFinding(rule, path, n, line.strip()[:200])
                       for n, line in enumerate(lines, 1) if rx.search(line))
    return out


def agreement_files(target: Path) -> list[tuple[Path, str]]:
    """(file, lang) pairs to lint for a file, a version folder or an agreement root."""
    if target.is_file():
        return [(target, "en" if target.stem.lower().startswith("en") else "zh")]
    if (target / "zh.md").exists() or (target / "en.md").exists():
        return [(target / f"{lang}.md", lang) for lang in ("zh", "en") if (target / f"{lang}.md").exists()]
    versions = sorted(p for p in target.iterdir() if (p / "zh.md").exists() and (p / "en.md").exists()) \
        if target.is_dir() else []
    if not versions:
        raise ConfigError(message_en=f"no agreement text (zh.md / en.md) found at {target}",
                          message_zh=f"在 {target} 找不到协议文本（zh.md / en.md）")
    return agreement_files(versions[-1])


def lint_agreement(target: Path, *, rules: list[LintRule] | None = None,
                   third_party: bool = False) -> list[LintFinding]:
    rules = rules if rules is not None else load_rules()[1]
    out: list[LintFinding] = []
    for path, lang in agreement_files(target):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(message_en=f"cannot read agreement {path}: {exc}",
                              message_zh=f"无法读取协议文件 {path}：{exc}") from exc
        out.extend(lint_text(text, path=path, lang=lang, rules=rules, third_party=third_party))
    return out


def shipped_root() -> Path:
    return Path(str(resources.files("hegui") / "data" / "agreement"))
