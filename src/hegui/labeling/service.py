"""The platform inspection service (Labeling Measures Art 6; GB 45438-2025 Annex E).

A distribution platform checks each upload for labels, reminds the uploader to declare AI content,
shows a notice matching the evidence, and writes its own propagation fields (ContentPropagator,
PropagateID) into the file's implicit label. This module holds the decision and its record
(``inspection_decisions``); the HTTP surface is ``POST /v1/hegui/inspect`` in the gateway.

The record keeps what was found, never the content: the file's SHA-256, media kind, size, the
declaration, the class and the evidence strings of :func:`hegui.labeling.inspector.inspect`.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.errors import ConfigError, HeguiError, LabelError, ValidationFailed
from hegui.labeling.inspector import InspectionResult, inspect
from hegui.labeling.label import ImplicitLabel
from hegui.labeling.models import InspectionDecision
from hegui.storage.base import new_id

#: the uploader's declaration as the API and ``hegui label inspect --declared`` take it
DECLARED_VALUES = {"ai": "ai", "human": "human", "not_ai": "human", "unknown": None, "": None}
_CLASS_LABEL = {"confirmed": "1", "possible": "2", "suspected": "3"}
_MEDIA = {**dict.fromkeys(("jpeg", "png", "webp", "gif", "tiff", "heif"), "image"),
          **dict.fromkeys(("wav", "mp3", "flac", "ogg"), "audio"),
          **dict.fromkeys(("mp4", "mkv", "avi", "flv"), "video"),
          **dict.fromkeys(("pdf", "ooxml"), "document"),
          **dict.fromkeys(("markdown", "html", "sidecar"), "text")}
_MAX_ITEMS, _MAX_CHARS = 20, 300


class UploadTooLarge(LabelError):
    """An upload over ``platform.max_upload_bytes``; counted while it streams, never buffered whole."""

    code = "UPLOAD_TOO_LARGE"
    http_status = 413
    message_zh = "上传文件过大（上限 {limit} 字节），未完成检测"
    message_en = "Upload too large (limit {limit} bytes); not inspected"


class InspectionTimeout(LabelError):
    """The inspection did not finish within ``platform.timeout_seconds`` (recorded as ``error``)."""

    code = "INSPECTION_TIMEOUT"
    http_status = 503
    message_zh = "检测未能在 {seconds} 秒内完成，结果未定，请稍后重试或上传更小的文件"
    message_en = "Inspection did not finish within {seconds} s; no result — retry later or upload a smaller file"


class InspectionFailed(LabelError):
    """The inspection broke on something other than the file (recorded as ``error``, never a pass)."""

    code = "INSPECTION_FAILED"
    http_status = 500
    message_zh = "检测出错，结果未定：{detail}"
    message_en = "Inspection failed; no result: {detail}"


@dataclass(frozen=True, slots=True)
class Notice:
    zh: str
    en: str
    basis: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en, "basis": self.basis}


@dataclass(frozen=True, slots=True)
class Notices:
    """The notice texts per class (a versioned data file, ``hegui/data/labeling/platform.yaml``)."""

    version: str
    by_class: dict[str, Notice]
    declare_prompt: Notice


def load_notices(path: str | Path | None = None) -> Notices:
    """Load the notice file; ``None`` loads the shipped one. Bad files raise :class:`ConfigError`."""
    try:
        if path is None:
            text = resources.files("hegui.data").joinpath("labeling/platform.yaml").read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        raw = yaml.safe_load(text)
        by_class = {k: Notice(**v) for k, v in raw["notices"].items()}
        unknown = set(by_class) - set(_CLASS_LABEL)
        if unknown or not all(n.zh and n.en for n in by_class.values()):
            raise ValueError(f"notices: unknown classes {sorted(unknown)} or an empty zh/en text")
        return Notices(str(raw["version"]), by_class, Notice(**raw["declare_prompt"]))
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(detail=f"platform notices {path or 'default'}: {exc}") from exc


@lru_cache(maxsize=4)
def notices_for(path: str = "") -> Notices:
    """The notices of ``platform.notices_file`` ("" = the shipped file), loaded once per path."""
    return load_notices(path or None)


def default_notices() -> Notices:
    return notices_for("")


def parse_declared(value: str | None) -> str | None:
    """``ai`` | ``human`` (alias ``not_ai``) | ``unknown`` → the inspector's declaration."""
    key = (value or "").strip().lower()
    if key not in DECLARED_VALUES:
        raise ValidationFailed(detail=f"declared: {value!r} is not one of ai, human, not_ai, unknown")
    return DECLARED_VALUES[key]


@dataclass(slots=True)
class Decision:
    """One decision on one upload; ``output`` is the propagated file when one was written."""

    klass: str
    declared: str | None
    media: str
    size: int
    sha256: str
    evidence: dict[str, Any]
    notice: Notice | None
    declare_prompt: Notice | None
    propagation: dict[str, Any] | None = None
    output: Path | None = None
    id: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def propagated(self) -> bool:
        return self.output is not None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "class": self.klass, "declared": self.declared, "media": self.media,
                "size": self.size, "sha256": self.sha256,
                "notice": self.notice.to_dict() if self.notice else None,
                "declare_prompt": self.declare_prompt.to_dict() if self.declare_prompt else None,
                "evidence": self.evidence, "propagated": self.propagated, "propagation": self.propagation}


def stage(src: BinaryIO, dst: Path, limit: int, chunk: int = 1 << 20) -> tuple[int, str]:
    """Copy an upload to ``dst`` in chunks, hashing it; :class:`UploadTooLarge` past ``limit``."""
    digest, size = hashlib.sha256(), 0
    with dst.open("wb") as out:
        while block := src.read(chunk):
            size += len(block)
            if size > limit:
                raise UploadTooLarge(limit=limit)
            digest.update(block)
            out.write(block)
    return size, digest.hexdigest()


def _clip(value: Any) -> Any:
    if isinstance(value, str):
        return value[:_MAX_CHARS]
    if isinstance(value, list):
        return [_clip(v) for v in value[:_MAX_ITEMS]]
    if isinstance(value, dict):
        return {str(k)[:64]: _clip(v) for k, v in list(value.items())[:_MAX_ITEMS]}
    return value


def evidence_of(result: InspectionResult) -> dict[str, Any]:
    """What was found, without the file's name or content (every string clipped)."""
    d = result.to_dict()
    return _clip({k: d[k] for k in ("class", "carrier", "verdict", "implicit", "c2pa", "watermark", "evidence",
                                   "errors", "warnings")})


def media_of(carrier: str | None) -> str:
    return _MEDIA.get(carrier or "", "unknown")


def _suffix(filename: str | None) -> str:
    m = re.search(r"(\.[A-Za-z0-9]{1,8})$", filename or "")
    return m.group(1).lower() if m else ""


def propagation_label(current: ImplicitLabel | None, klass: str, propagator: str,
                      propagate_id: str) -> ImplicitLabel | None:
    """The label the platform writes (Annex E): the producer's fields kept, the propagation fields
    replaced, the class never downgraded ("1" stays "1"); ``None`` when there is nothing AI to mark."""
    target = _CLASS_LABEL.get(klass)
    if target is None:
        return None
    if current is not None:
        keep = current.Label if current.Label in ("1", "2", "3") else target
        return current.propagated(propagator, propagate_id, label=min(keep, target))
    return ImplicitLabel(target, "", "", "", propagator, propagate_id, "")


def _pixels(path: Path) -> int | None:
    """Width × height from the image header (nothing decoded); ``None`` when Pillow cannot say."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            return int(img.size[0]) * int(img.size[1])
    except Exception:  # noqa: BLE001 - not an image, or a header Pillow refuses: the inspector reports it
        return None


def decide(path: Path, *, filename: str | None, declared: str | None, size: int, sha256: str,
           propagate: bool, propagator: str, out_dir: Path, notices: Notices | None = None,
           max_watermark_pixels: int | None = None) -> Decision:
    """Inspect the staged upload at ``path``; with ``propagate`` write the platform's propagation
    fields into a copy under ``out_dir`` (Labeling Measures Art 6 ¶2). Never raises for bad files.

    Images over ``max_watermark_pixels`` are inspected without the watermark check (it decodes the
    whole image); the evidence says so."""
    from hegui.labeling.api import read_label_file, write_label_file

    notices = notices or default_notices()
    suffix = _suffix(filename)
    named = path if path.suffix == suffix else path.with_suffix(suffix)  # the carrier may need the extension
    if named != path:
        path.rename(named)
    pixels = _pixels(named) if max_watermark_pixels else None
    skip_wm = pixels is not None and max_watermark_pixels is not None and pixels > max_watermark_pixels
    result = inspect(named, declared, check_watermark=not skip_wm)
    if skip_wm and result.carrier in ("jpeg", "png", "webp", "gif", "tiff"):
        why = f"image has {pixels} pixels, above platform.max_watermark_pixels ({max_watermark_pixels})"
        result.watermark = {"checked": False, "reason": why}
        result.warnings.append(f"watermark not checked: {why}")
    d = Decision(result.klass, declared, media_of(result.carrier), size, sha256, evidence_of(result),
                 notices.by_class.get(result.klass), notices.declare_prompt if declared is None else None)
    if not propagate:
        return d
    pid = f"hgp-{new_id()}"
    current = result.implicit and read_label_file(named).label
    label = propagation_label(current or None, result.klass, propagator, pid)
    if label is None:
        d.propagation = {"written": False, "reason_zh": "未发现人工智能生成合成内容的证据，无需写入传播标识",
                         "reason_en": "no evidence of AI-generated content: no propagation fields written"}
        return d
    dst = out_dir / f"propagated{suffix}"
    try:
        write_label_file(named, label, dst=dst, durable=False)
    except HeguiError as exc:
        d.propagation = {"written": False, "code": exc.code, "reason_zh": exc.message("zh")[:_MAX_CHARS],
                         "reason_en": exc.message("en")[:_MAX_CHARS]}
        return d
    d.output = dst
    d.propagation = {"written": True, "Label": label.Label, "ContentPropagator": label.ContentPropagator,
                     "PropagateID": label.PropagateID}
    return d


def record(session: Session, decision: Decision, app_id: str | None) -> str:
    """Write the decision's row (Labeling Measures Art 6; no content stored). The caller commits."""
    evidence = dict(decision.evidence)
    if decision.propagation is not None:
        evidence["propagation"] = _clip(decision.propagation)
    row = InspectionDecision(app_id=app_id, file_sha256=decision.sha256, media=decision.media, size=decision.size,
                             declared=decision.declared, result=decision.klass, evidence=evidence,
                             propagated=decision.propagated)
    session.add(row)
    session.flush()
    decision.id = row.id
    return row.id


def record_failure(session: Session, *, app_id: str | None, declared: str | None, size: int, sha256: str,
                   error: HeguiError, media: str = "unknown") -> str:
    """Record a decision that could not be made (too large, too slow) as ``result = "error"``.

    ``sha256`` is "" when the file was not received whole (refused while streaming)."""
    row = InspectionDecision(app_id=app_id, file_sha256=sha256, media=media, size=size, declared=declared,
                             result="error", propagated=False,
                             evidence={"error": error.code, "message_en": error.message("en")[:_MAX_CHARS],
                                       "message_zh": error.message("zh")[:_MAX_CHARS]})
    session.add(row)
    session.flush()
    return row.id


def recent(session: Session, *, limit: int = 50, app_id: str | None = None) -> list[InspectionDecision]:
    """The newest decisions first (the console's list)."""
    q = select(InspectionDecision).order_by(InspectionDecision.created_at.desc()).limit(max(1, min(limit, 500)))
    if app_id is not None:
        q = q.where(InspectionDecision.app_id == app_id)
    return list(session.execute(q).scalars())


def discard(path: Path) -> None:
    """Remove a staging directory (best effort: a timed-out worker may still hold a mapping)."""
    shutil.rmtree(path, ignore_errors=True)
