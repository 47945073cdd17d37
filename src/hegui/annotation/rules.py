"""Annotation rules as versioned documents (Interim Measures Art 8: clear, specific, operable
rules; GB/T 45674-2025). The safety rules must cover all 31 risks of GB/T 45654 Annex A and carry
the elements GB/T 45674 lists; :func:`check_text` finds each risk by id or name and each element by
keywords in the headings, and names what is missing."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.annotation.errors import AnnotationNotFound
from hegui.annotation.models import RulesDocument
from hegui.errors import ValidationFailed
from hegui.governance.common import choice, log, now, parse_date, text

KINDS = ("functional", "safety")
TEMPLATE_MARK = "hegui:template"
MAX_BYTES = 10_000_000
TEXT_SUFFIXES = (".md", ".txt", ".html", ".htm")
SUFFIXES = (*TEXT_SUFFIXES, ".pdf", ".docx")


@lru_cache(maxsize=1)
def elements() -> dict[str, dict[str, Any]]:
    """The rule elements of GB/T 45674 and their heading keywords (data/annotation/elements.yaml)."""
    raw = (resources.files("hegui") / "data" / "annotation" / "elements.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(raw)["elements"])


def template_text() -> str:
    """The starter safety-rules template (zh, en headings), marked for the operator to adapt."""
    return (resources.files("hegui") / "data" / "annotation" / "safety-rules-template.md").read_text(encoding="utf-8")


@dataclass
class RulesCheck:
    kind: str
    missing_risks: list[str] = field(default_factory=list)  # Annex A ids not found (safety rules)
    missing_elements: list[str] = field(default_factory=list)  # element keys not found (safety rules)
    template: bool = False  # still the unadapted hegui template

    @property
    def complete(self) -> bool:
        return not self.missing_risks and not self.missing_elements

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "complete": self.complete}


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s).lower()


def check_text(doc: str, kind: str = "safety") -> RulesCheck:
    """Coverage of the 31 Annex A risks (id, or zh/en name) and of the GB/T 45674 elements (keywords
    in Markdown headings; every line when there are none). Functional rules are not checked."""
    from hegui.moderation.taxonomy import default_taxonomy

    out = RulesCheck(kind=kind, template=TEMPLATE_MARK in doc)
    if kind != "safety":
        return out
    flat = _norm(doc)
    for risk in default_taxonomy().risks:
        names = (risk.id, *risk.labels_zh, risk.name_en)
        if not any(_norm(n) in flat for n in names if n) and not re.search(rf"\b{risk.id}\b", doc):
            out.missing_risks.append(risk.id)
    lines = doc.splitlines()
    heads = [ln for ln in lines if ln.lstrip().startswith("#")] or lines
    heading_text = _norm("\n".join(heads))
    for key, el in elements().items():
        if not any(_norm(k) in heading_text for k in el["keywords"]):
            out.missing_elements.append(key)
    return out


def extract_text(name: str, data: bytes) -> str:
    """Text of a rules document: Markdown/text/HTML as UTF-8, PDF via pypdf, DOCX via python-docx."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValidationFailed(message_en=f"{name}: rules documents are {', '.join(SUFFIXES)}",
                               message_zh=f"{name}：规则文件须为 {', '.join(SUFFIXES)} 格式")
    try:
        if suffix in TEXT_SUFFIXES:
            return data.decode("utf-8-sig")
        if suffix == ".pdf":
            from pypdf import PdfReader

            return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
        import docx

        return "\n".join(("# " if p.style is not None and p.style.name.startswith("Heading") else "") + p.text
                         for p in docx.Document(io.BytesIO(data)).paragraphs)
    except UnicodeDecodeError:
        raise ValidationFailed(message_en=f"{name}: not UTF-8 text", message_zh=f"{name}：不是 UTF-8 文本") from None
    except Exception as exc:  # noqa: BLE001 - any parser failure is the same clear error
        raise ValidationFailed(message_en=f"{name}: cannot read the document ({type(exc).__name__})",
                               message_zh=f"{name}：无法读取文件（{type(exc).__name__}）") from None


def add(s: Session, *, actor: str, kind: str, version: str, effective_on: str | dt.date, file_name: str,
        data: bytes, approved_by: str = "") -> RulesDocument:
    """Record a rules document (hashed, checked); approve it at once when ``approved_by`` is given."""
    choice(kind, KINDS, "kind 类型")
    version = text(version, "version 版本", limit=40)
    day = parse_date(effective_on, "effective date 生效日期")
    if day is None:
        raise ValidationFailed(message_en="effective date is required", message_zh="生效日期不能为空")
    if len(data) > MAX_BYTES:
        raise ValidationFailed(message_en=f"{file_name}: larger than {MAX_BYTES} bytes",
                               message_zh=f"{file_name}：超过 {MAX_BYTES} 字节")
    if s.scalars(select(RulesDocument).where(RulesDocument.kind == kind, RulesDocument.version == version)).first():
        raise ValidationFailed(message_en=f"{kind} rules version {version} already exist; give a new version",
                               message_zh=f"{kind} 规则版本 {version} 已存在，请使用新版本号")
    body = extract_text(file_name, data)
    found = check_text(body, kind)
    row = RulesDocument(kind=kind, version=version, effective_on=day, file_name=Path(file_name).name[:200],
                        sha256=hashlib.sha256(data).hexdigest(), content=data, text=body, findings=found.to_dict(),
                        recorded_by=actor)
    s.add(row)
    s.flush()
    log(s, actor, "annotation.rules_added", f"ann_rules:{row.id}",
        {"kind": kind, "version": version, "sha256": row.sha256, "complete": found.complete})
    if approved_by:
        approve(s, row.id, approved_by=approved_by, actor=actor)
    return row


def approve(s: Session, rules_id: str, *, approved_by: str, actor: str) -> RulesDocument:
    """Approve a rules document; the unadapted hegui template is refused (fail closed)."""
    row = get(s, rules_id)
    who = text(approved_by, "approved by 批准人", limit=120)
    if row.findings.get("template"):
        raise ValidationFailed(message_en="this is still the hegui template: adapt it and remove the "
                                          f"'{TEMPLATE_MARK}' line before approving",
                               message_zh=f"该文件仍是 hegui 模板：请改写并删除含“{TEMPLATE_MARK}”的一行后再批准")
    row.approved_by, row.approved_at = who, now()
    log(s, actor, "annotation.rules_approved", f"ann_rules:{row.id}", {"approved_by": who, "version": row.version})
    return row


def get(s: Session, rules_id: str) -> RulesDocument:
    row = s.get(RulesDocument, rules_id)
    if row is None:
        raise AnnotationNotFound(what_zh="标注规则", what_en="rules document", id=rules_id)
    return row


def listing(s: Session) -> list[RulesDocument]:
    return list(s.scalars(select(RulesDocument).order_by(RulesDocument.kind, RulesDocument.effective_on.desc(),
                                                         RulesDocument.created_at.desc())))


def current(s: Session, kind: str, today: dt.date | None = None) -> RulesDocument | None:
    """The approved document of ``kind`` in force today (latest effective date, then latest added)."""
    day = today or now().date()
    return s.scalars(select(RulesDocument).where(
        RulesDocument.kind == kind, RulesDocument.approved_at.is_not(None), RulesDocument.effective_on <= day)
        .order_by(RulesDocument.effective_on.desc(), RulesDocument.created_at.desc()).limit(1)).first()
