"""The source register (``sources.yaml``): where each part of a training corpus comes from, under
what licence or authorisation, how it was collected and with what consent.

Interim Measures Art 7 (1)–(3) (lawful sources, no IP infringement, consent for personal
information); GB/T 45654 §5.1 a)–c) and Annex B.2.1 (source records, licence evidence, collection
records, robots protocol honoured for self-collected data). A source without verifiable licence
evidence has licence ``unknown`` — never assumed lawful; a ``user_inputs`` source without consent
evidence has every record excluded (``no_consent``); a crawled URL that the ``robots.txt`` /
``ai.txt`` captured at collection time disallows, or that a captured TDMRep file reserves, is
excluded (``robots`` / ``ai_txt`` / ``tdmrep``).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hegui.corpus.record import CorpusRecord
from hegui.errors import ConfigError

SourceType = Literal["open_dataset", "self_collected", "commercial", "user_inputs"]
UNREGISTERED = "unregistered"
UNKNOWN_LICENCE = "unknown"


class SourcesError(ConfigError):
    code = "CORPUS_SOURCES_INVALID"
    http_status = 500
    message_zh = "语料来源登记表无效（{location}）：{detail}"
    message_en = "Invalid corpus source register ({location}): {detail}"


class Evidence(BaseModel):
    """A file that proves something (licence, authorisation, consent) and its SHA-256."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    file: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")

    @field_validator("sha256", mode="before")
    @classmethod
    def _quoted(cls, v: Any) -> Any:
        if not isinstance(v, str):  # YAML read an all-digit hash as a number: its leading zeros are gone
            raise ValueError('write the hash as a quoted string: sha256: "…" / 哈希值请加引号')
        return v


class Collection(BaseModel):
    """Collection records (GB/T 45654 Annex B.2.1): when, how, and the robots / ai.txt / TDMRep
    files captured at collection time — a file, or a mapping ``host: file``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    date_from: date | None = None
    date_to: date | None = None
    method: str = ""
    user_agent: str = "*"
    robots_txt: str | dict[str, str] | None = None
    ai_txt: str | dict[str, str] | None = None
    tdmrep: str | dict[str, str] | None = None


class SourceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    paths: list[str] = Field(default_factory=list)
    type: SourceType
    licence: str = UNKNOWN_LICENCE
    licence_evidence: Evidence | None = None
    collection: Collection | None = None
    consent: Evidence | None = None
    base_model_origin: str = ""

    @field_validator("paths")
    @classmethod
    def _nonempty(cls, v: list[str]) -> list[str]:
        if any(not p.strip() for p in v):
            raise ValueError("empty path pattern")
        return v


class RegisterFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: Literal[1] = 1
    sources: dict[str, SourceSpec]

    @field_validator("sources")
    @classmethod
    def _ids(cls, v: dict[str, SourceSpec]) -> dict[str, SourceSpec]:
        for key in v:
            if not key or ":" in key or "/" in key:
                raise ValueError(f"source id {key!r} must be non-empty without ':' or '/'")
        return v


@dataclass(frozen=True, slots=True)
class EvidenceCheck:
    status: Literal["verified", "missing", "hash_mismatch", "none"]
    file: str = ""
    sha256: str = ""


def check_evidence(ev: Evidence | None, base: Path) -> EvidenceCheck:
    """Verify ``ev``'s file against its hash (relative paths are relative to ``sources.yaml``)."""
    if ev is None:
        return EvidenceCheck("none")
    path = Path(ev.file) if Path(ev.file).is_absolute() else base / ev.file
    if not path.is_file():
        return EvidenceCheck("missing", str(path), ev.sha256.lower())
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    ok = h.hexdigest() == ev.sha256.lower()
    return EvidenceCheck("verified" if ok else "hash_mismatch", str(path), ev.sha256.lower())


@dataclass(slots=True)
class Source:
    """One resolved source: its declared spec and the verified evidence."""

    id: str
    type: str
    licence: str
    licence_declared: str
    licence_evidence: EvidenceCheck
    consent: EvidenceCheck
    base_model_origin: str = ""
    collection: dict[str, Any] = field(default_factory=dict)
    patterns: tuple[str, ...] = ()
    _robots: dict[str, dict[str, RobotFileParser]] = field(default_factory=dict)
    _tdm: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _ua: str = "*"

    def summary(self) -> dict[str, Any]:
        """JSON-able description for ``AuditResult`` and the report."""
        return {"id": self.id, "type": self.type, "licence": self.licence, "licence_declared": self.licence_declared,
                "licence_evidence": self.licence_evidence.status, "consent": self.consent.status,
                "base_model_origin": self.base_model_origin, "collection": self.collection}

    def exclusions(self, record: CorpusRecord) -> list[str]:
        """Reasons this source's rules exclude ``record`` (consent, robots, ai.txt, TDMRep)."""
        reasons: list[str] = []
        if self.type == "user_inputs" and self.consent.status != "verified":
            reasons.append("no_consent")
        if record.url and (self._robots or self._tdm):
            parts = urlsplit(record.url)
            host = (parts.hostname or "").lower()
            for reason, by_host in self._robots.items():
                parser = by_host.get(host) or by_host.get("*")
                if parser is not None and not parser.can_fetch(self._ua, record.url):
                    reasons.append(reason)
            rules = self._tdm.get(host) or self._tdm.get("*") or []
            path = parts.path or "/"
            for rule in rules:
                loc = str(rule.get("location", "/*"))
                if (fnmatch.fnmatchcase(path, loc) or path.startswith(loc.rstrip("*"))) and \
                        str(rule.get("tdm-reservation", 0)) == "1":
                    reasons.append("tdmrep")
                    break
        return reasons


def _unregistered(source_id: str) -> Source:
    return Source(source_id, UNREGISTERED, UNKNOWN_LICENCE, UNKNOWN_LICENCE, EvidenceCheck("none"),
                  EvidenceCheck("none"))


class SourceRegister:
    """Maps input files to source ids and applies each source's collection rules."""

    def __init__(self, sources: dict[str, Source], base: Path, location: str = "") -> None:
        self.sources = sources
        self.base = base
        self.location = location

    @classmethod
    def empty(cls) -> SourceRegister:
        return cls({}, Path.cwd())

    def source_for(self, path: Path) -> str | None:
        """The id of the first source whose ``paths`` glob matches ``path`` or a folder above it."""
        p = Path(os.path.abspath(path))
        candidates = [p.as_posix(), *(q.as_posix() for q in p.parents)]
        for sid, src in self.sources.items():
            for pattern in src.patterns:
                if any(fnmatch.fnmatchcase(c, pattern) for c in candidates):
                    return sid
        return None

    def get(self, source_id: str) -> Source:
        return self.sources.get(source_id) or _unregistered(source_id)

    def annotate(self, record: CorpusRecord) -> CorpusRecord:
        """Stamp source type and licence on ``record.meta`` and apply the source's exclusions."""
        src = self.get(record.source)
        record.meta["source_type"] = src.type
        record.meta["source_licence"] = src.licence
        for reason in src.exclusions(record):
            record.exclude(reason)
        return record


def load_sources(path: str | Path) -> SourceRegister:
    """Read and validate ``sources.yaml``; errors name ``file:line`` (zh/en)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourcesError(location=str(path), detail=str(exc)) from exc
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        loc = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise SourcesError(location=loc, detail=str(exc).splitlines()[0]) from exc
    try:
        reg = RegisterFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        line = _line_of(node, err["loc"])
        where = ".".join(str(x) for x in err["loc"])
        raise SourcesError(location=f"{path}:{line}" if line else str(path),
                           detail=f"{where}: {err['msg']}") from exc
    base = path.parent.resolve()
    sources: dict[str, Source] = {}
    for sid, spec in reg.sources.items():
        lic = check_evidence(spec.licence_evidence, base)
        consent = check_evidence(spec.consent, base)
        col = spec.collection
        src = Source(
            id=sid, type=spec.type, licence=spec.licence if lic.status == "verified" else UNKNOWN_LICENCE,
            licence_declared=spec.licence, licence_evidence=lic, consent=consent,
            base_model_origin=spec.base_model_origin,
            collection=col.model_dump(mode="json") if col else {},
            patterns=tuple(_abs_pattern(p, base) for p in spec.paths))
        if col is not None:
            src._ua = col.user_agent
            for reason, ref in (("robots", col.robots_txt), ("ai_txt", col.ai_txt)):
                if ref is not None:
                    src._robots[reason] = {h: _robots(f, base, path, sid) for h, f in _by_host(ref).items()}
            if col.tdmrep is not None:
                src._tdm = {h: _tdmrep(f, base, path, sid) for h, f in _by_host(col.tdmrep).items()}
        sources[sid] = src
    return SourceRegister(sources, base, str(path))


def _by_host(ref: str | dict[str, str]) -> dict[str, str]:
    return {"*": ref} if isinstance(ref, str) else {h.lower(): f for h, f in ref.items()}


def _abs_pattern(pattern: str, base: Path) -> str:
    p = pattern if os.path.isabs(pattern) else (base / pattern).as_posix()
    return os.path.normpath(p).replace(os.sep, "/") + ("/" if pattern.endswith("/") else "")


def _snapshot(file: str, base: Path, reg_path: Path, sid: str) -> str:
    p = Path(file) if Path(file).is_absolute() else base / file
    try:
        return p.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:  # a declared snapshot that cannot be read: fail closed, not "allowed"
        raise SourcesError(location=str(reg_path),
                           detail=f"sources.{sid}.collection: snapshot {p} unreadable ({exc.strerror})") from exc


def _robots(file: str, base: Path, reg_path: Path, sid: str) -> RobotFileParser:
    parser = RobotFileParser()
    parser.parse(_snapshot(file, base, reg_path, sid).splitlines())
    return parser


def _tdmrep(file: str, base: Path, reg_path: Path, sid: str) -> list[dict[str, Any]]:
    try:
        rules = json.loads(_snapshot(file, base, reg_path, sid))
    except json.JSONDecodeError as exc:
        raise SourcesError(location=f"{file}:{exc.lineno}", detail=f"TDMRep JSON: {exc.msg}") from exc
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise SourcesError(location=file, detail="TDMRep file must be a JSON array of objects")
    return rules


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int:
    """1-based line of the YAML node at pydantic's error ``loc`` (deepest node found)."""
    line = node.start_mark.line + 1 if node is not None else 0
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next(((k, v) for k, v in node.value if getattr(k, "value", None) == str(key)), None)
            if nxt is None:
                break
            line, node = nxt[0].start_mark.line + 1, nxt[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line
