"""Grow a test bank from a template × topic file (GB/T 45654 B.1.2 d / B.1.3 c: banks are updated
at least monthly, so growing them must be cheap and repeatable).

A template file (YAML, ``data/assessment/templates/*.yaml``) holds groups; each group names one risk
or aspect, lists hand-written prompts (``items``) and templates whose ``{slots}`` are filled from the
group's slot lists. Expansion is deterministic for a seed: every combination is drawn in a seeded
order, exact and near copies (of anything already kept, in any group) are dropped, and ids and
provenance (``source: <team>/template:<file>/<group>``) are assigned in output order.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import string
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hegui.assessment.banks.dedup import NEAR_DUP_JACCARD, normalise, shingles
from hegui.assessment.banks.io import MAX_FILE_BYTES, bank_error, parse_row
from hegui.assessment.models import BankItem, BankKind
from hegui.fileio import write_atomic

MAX_COMBINATIONS = 100_000  # per group: a template with many large slots is a mistake, not a bank


class Group(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,80}$")
    risk: str | None = None
    aspect: str | None = None
    lang: str = "zh"
    modality: str = "text"
    take: int | None = Field(None, ge=0)   # most template items kept (hand-written items always kept)
    items: list[str] = []
    templates: list[str] = []
    slots: dict[str, list[str]] = {}

    @model_validator(mode="after")
    def _slots_known(self) -> "Group":
        for t in self.templates:
            for name in _fields(t):
                if name not in self.slots or not self.slots[name]:
                    raise ValueError(f"group {self.name}: template {t!r} uses slot {{{name}}} with no values")
        return self


class TemplateFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str
    bank: BankKind
    id_prefix: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    date: dt.date
    licence: str = "Apache-2.0"
    source: str = "hegui-team"
    groups: list[Group]


def _fields(template: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


def load_templates(path: Path) -> TemplateFile:
    path = Path(path)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise bank_error(str(path), "template file over the size cap", "模板文件超过大小上限")
    try:
        return TemplateFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except UnicodeDecodeError as exc:
        raise bank_error(str(path), f"not valid UTF-8 (byte {exc.start})", f"不是有效的 UTF-8 编码（第 {exc.start} 字节）") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise bank_error(where, f"bad YAML: {getattr(exc, 'problem', exc)}", f"YAML 格式错误：{getattr(exc, 'problem', exc)}") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise bank_error(f"{path}:{loc}", err["msg"], f"模板文件字段 {loc} 无效：{err['msg']}") from None


class _Kept:
    """Prompts kept so far, with an inverted shingle index to find near copies without O(n²)."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.norms: set[str] = set()
        self.sets: list[frozenset[int]] = []
        self.index: dict[int, list[int]] = defaultdict(list)

    def add(self, text: str) -> bool:
        norm = normalise(text)
        if norm in self.norms:
            return False
        sh = shingles(norm)
        shared = Counter(k for s in sh for k in self.index.get(s, ()))
        for k, inter in shared.items():
            if inter / (len(sh) + len(self.sets[k]) - inter) >= self.threshold:
                return False
        self.norms.add(norm)
        for s in sh:
            self.index[s].append(len(self.sets))
        self.sets.append(sh)
        return True


def _expand(group: Group, rng: random.Random) -> list[str]:
    combos: list[str] = []
    for t in group.templates:
        names = list(dict.fromkeys(_fields(t)))
        values = [group.slots[n] for n in names]
        total = 1
        for v in values:
            total *= len(v)
        if total > MAX_COMBINATIONS:
            raise bank_error(f"group {group.name}", f"template {t[:40]!r} makes {total} combinations "
                             f"(cap {MAX_COMBINATIONS})", f"模板 {t[:40]!r} 组合数 {total} 超过上限 {MAX_COMBINATIONS}")
        combos.extend(t.format(**dict(zip(names, combo))) for combo in itertools.product(*values))
    rng.shuffle(combos)
    return combos


def generate_bank(path: Path, *, seed: int = 0, threshold: float = NEAR_DUP_JACCARD) -> list[BankItem]:
    """The items a template file makes for ``seed`` (same file + seed → same items, same ids)."""
    spec = load_templates(path)
    kept = _Kept(threshold)
    items: list[BankItem] = []
    stem = Path(path).stem
    for group in spec.groups:
        rng = random.Random(f"{seed}:{group.name}")
        rows = [(text, spec.source) for text in group.items if kept.add(text)]
        added = 0
        for text in _expand(group, rng):
            if group.take is not None and added >= group.take:
                break
            if kept.add(text):
                rows.append((text, f"{spec.source}/template:{stem}/{group.name}"))
                added += 1
        for text, source in rows:
            row = {"id": f"{spec.id_prefix}{len(items) + 1:04d}", "prompt": text, "bank": spec.bank.value,
                   "risk": group.risk, "aspect": group.aspect, "lang": group.lang, "modality": group.modality,
                   "source": source, "licence": spec.licence, "date": spec.date.isoformat()}
            items.append(parse_row(row, path=f"{path}#{group.name}", line=len(items) + 1))
    return items


def to_jsonl(items: Sequence[BankItem]) -> str:
    """Items as JSONL in the bank format (the columns :func:`read_bank` reads, ``extra`` kept)."""
    lines = []
    for it in items:
        row: dict[str, object] = {"id": it.id, "prompt": it.prompt, "bank": it.bank.value}
        if it.risk:
            row["risk"] = it.risk
        if it.aspect:
            row["aspect"] = it.aspect
        row.update({"lang": it.lang, "modality": it.modality, "source": it.source, "licence": it.licence,
                    "date": it.date.isoformat() if it.date else None, **dict(it.extra)})
        lines.append(json.dumps(row, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def write_bank(items: Sequence[BankItem], out: Path) -> Path:
    """Write ``items`` as JSONL atomically."""
    return write_atomic(out, to_jsonl(items))
