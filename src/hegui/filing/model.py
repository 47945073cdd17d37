"""The dossier's record and its pieces (security-requirements §9): a :class:`Dossier` holds the live
inputs (settings, database, today, the filing clock); each :class:`Piece` builds its files from them
or says precisely what is missing, which duty it blocks and how to fix it."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hegui.obligations.filing import FilingClock
from hegui.settings import HeguiSettings

if TYPE_CHECKING:
    from hegui.storage.db import Database


class Track(str, enum.Enum):
    """The three filings; their documents are kept separate even where facts overlap (§9)."""

    ALGORITHM = "algorithm"  # 算法备案 (Alg. Rec. Art 24; DS Art 19)
    MODEL = "model"  # 大模型备案 (Interim Measures Art 17)
    REGISTRATION = "registration"  # 登记 (an app calling an already-filed model)

    @property
    def zh(self) -> str:
        return {"algorithm": "算法备案", "model": "大模型备案", "registration": "大模型登记"}[self.value]


ALL = frozenset(Track)


class PieceStatus(str, enum.Enum):
    OK = "ok"
    MISSING = "missing"  # blocks the filing: the piece cannot be built from live data
    FLAGGED = "flagged"  # built and included, but the reviewer will object (e.g. a non-conforming report)
    TO_SIGN = "to_sign"  # a template the operator completes, signs and seals

    @property
    def zh(self) -> str:
        return {"ok": "齐备", "missing": "缺失", "flagged": "有问题", "to_sign": "待签署"}[self.value]

    @property
    def blocks(self) -> bool:
        return self is PieceStatus.MISSING


@dataclass
class Doc:
    """A document page: title, sections of paragraphs and tables, optional signature blanks."""

    title_zh: str
    title_en: str
    sections: list[dict[str, Any]] = field(default_factory=list)  # {heading, paras: [str], table: [[...]]}
    signatures: list[str] = field(default_factory=list)

    def section(self, heading: str, paras: list[str] | None = None, table: list[list[Any]] | None = None) -> Doc:
        self.sections.append({"heading": heading, "paras": paras or [], "table": table or []})
        return self


@dataclass
class Built:
    """What a piece's builder returns: files (relative name → bytes), its page for dossier.pdf, its
    status and reasons (zh/en), and the fix."""

    status: PieceStatus
    files: dict[str, bytes] = field(default_factory=dict)
    doc: Doc | None = None
    reason_zh: str = ""
    reason_en: str = ""
    fix_zh: str = ""
    fix_en: str = ""
    attach_pdf: list[str] = field(default_factory=list)  # names in ``files`` appended to dossier.pdf


@dataclass(frozen=True)
class Piece:
    id: str
    title_zh: str
    title_en: str
    tracks: frozenset[Track]
    duty: str  # register row(s) / clause it evidences
    build: Callable[[Dossier, Track], Built]


@dataclass
class Dossier:
    """The live inputs every piece reads."""

    settings: HeguiSettings
    clock: FilingClock
    db: Database | None = None
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone(dt.timedelta(hours=8))))
    cache: dict[str, Any] = field(default_factory=dict)
