"""Inspector for distribution platforms (Labeling Measures Art 6; GB 45438 reference §8).

Evidence, strongest first: the implicit metadata label (Label "1" → confirmed, "2" → possible,
"3" → suspected), the uploader's declaration (AI → possible), a C2PA manifest declaring
``trainedAlgorithmicMedia`` or a hegui watermark (→ policy class, "suspected" by default: reference
§8 open points), an explicit label found in the content (text notice, §5.1; the audio rhythm cue at
the start, §5.3 → "suspected"). The strongest class wins; a "1" is never downgraded.
"""

from __future__ import annotations

import importlib
import mmap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hegui.labeling.api import ReadResult, read_label
from hegui.labeling.c2pa_reader import C2paFinding, read_c2pa
from hegui.labeling.carrier import CarrierRegistry
from hegui.labeling.policy import LabelPolicy, default_policy
from hegui.labeling.sidecar import TEXT_EXTENSIONS, read_sidecar

CLASSES = ("none", "suspected", "possible", "confirmed")
_LABEL_CLASS = {"1": "confirmed", "2": "possible", "3": "suspected"}
_IMAGE_FORMATS = {"jpeg", "png", "webp", "gif", "tiff"}
_AUDIO_FORMATS = {"wav", "mp3", "flac", "ogg"}  # audio-only carriers: videos are not decoded here
Declared = Literal["ai", "human"] | None


@dataclass(slots=True)
class InspectionResult:
    file: str
    klass: str = "none"
    implicit: dict[str, str] | None = None
    carrier: str | None = None
    verdict: str = "not_found"
    c2pa: dict[str, Any] | None = None
    watermark: dict[str, Any] | None = None
    declared: str | None = None
    explicit_audio_cue: bool | None = None  # None: not an audio file, or not checked (see audio_cue)
    audio_cue: dict[str, Any] | None = None
    evidence: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "class": self.klass, "implicit": self.implicit, "carrier": self.carrier,
                "verdict": self.verdict, "c2pa": self.c2pa, "watermark": self.watermark,
                "declared": self.declared, "explicit_audio_cue": self.explicit_audio_cue,
                "audio_cue": self.audio_cue, "evidence": self.evidence, "errors": self.errors,
                "warnings": self.warnings}

    def _raise(self, klass: str, why: str) -> None:
        self.evidence.append(why)
        if CLASSES.index(klass) > CLASSES.index(self.klass):
            self.klass = klass


_TEXT_CARRIERS = {"markdown", "html", "sidecar"}


def _explicit_text(data: Any, res: InspectionResult, policy: LabelPolicy) -> None:
    """An explicit text label (§5.1) at the start or end of a text file is a generation trace."""
    import re

    n = policy.explicit_text_scan_bytes
    head = bytes(data[:n]).decode("utf-8", "ignore")
    tail = bytes(data[max(0, len(data) - n):]).decode("utf-8", "ignore")
    for pattern in policy.explicit_text_patterns:
        m = re.search(pattern, head) or re.search(pattern, tail)
        if m:
            res._raise("suspected", f"explicit text label {m.group(0)!r} found (GB 45438 §5.1)")
            return


_AUDIO_CARRIERS = {"mp3", "wav", "flac", "ogg"}


def _audio_cue(data: Any, path: Path | None, res: InspectionResult) -> None:
    """The §5.3 rhythm cue at the start of an audio file (decoded with ffmpeg, bounded)."""
    from hegui.errors import HeguiError
    from hegui.labeling.explicit.audio_cue import detect_rhythm_cue

    try:
        found = detect_rhythm_cue(path if path is not None else bytes(data))
    except HeguiError as exc:  # ffmpeg missing or the audio undecodable: an evidence gap, not a crash
        res.audio_cue = {"checked": False, "reason": exc.message("en")[:300]}
        res.warnings.append(f"audio cue not checked: {exc.message('en')[:300]}")
        return
    res.audio_cue = {"checked": True, **found.to_dict()}
    res.explicit_audio_cue = found.found
    if found.found:
        res._raise("suspected", f"explicit audio label: rhythm cue at {found.start_seconds:.2f} s "
                                f"(GB 45438 §5.3; correlation {found.correlation:.2f})")


def _watermark(data: bytes, res: InspectionResult, policy: LabelPolicy) -> None:
    try:
        wm = importlib.import_module("hegui.labeling.watermark")
    except ModuleNotFoundError:
        res.watermark = {"checked": False, "reason": "watermark module not installed"}
        return
    try:
        found = wm.detect(data)
    except Exception as exc:  # noqa: BLE001 - detector errors (bombs, odd modes) are evidence gaps, not crashes
        msg = exc.message("en") if hasattr(exc, "message") else str(exc)
        res.watermark = {"checked": False, "reason": msg[:300]}
        res.errors.append(f"watermark: {msg[:300]}")
        return
    info = found.to_dict() if hasattr(found, "to_dict") else {"found": bool(found)}
    res.watermark = {"checked": True, **info}
    if info.get("found"):
        res._raise(policy.watermark_class, f"hegui invisible watermark found (payload {info.get('payload')})")


def _audio_watermark(data: Any, path: Path | None, res: InspectionResult, policy: LabelPolicy) -> None:
    """The audio watermark (``watermark/audio.py``): ffmpeg decodes at most 120 s of the first audio stream."""
    try:
        wm = importlib.import_module("hegui.labeling.watermark.audio")
        found = wm.detect_file(path if path is not None else bytes(data))
    except Exception as exc:  # noqa: BLE001 - a failed check is an evidence gap, never a crash or a pass
        msg = exc.message("en") if hasattr(exc, "message") else str(exc)
        res.watermark = {"checked": False, "kind": "audio", "reason": msg[:300]}
        res.errors.append(f"audio watermark: {msg[:300]}")
        return
    info = found.to_dict()
    res.watermark = {"checked": True, "kind": "audio", **info}
    if info.get("found"):
        res._raise(policy.watermark_class, f"hegui audio watermark found (16-bit payload {info.get('payload')}, "
                                           f"speed {info.get('speed')})")


def inspect(source: str | Path | bytes, declared: Declared = None, *, filename: str | None = None,
            policy: LabelPolicy | None = None, registry: CarrierRegistry | None = None,
            check_c2pa: bool = True, check_watermark: bool = True, check_audio_cue: bool = True) -> InspectionResult:
    """Classify one file as confirmed / possible / suspected / none with evidence (never raises
    for bad input: problems are listed in ``errors``). ``check_audio_cue``: look for the explicit
    audio label at the start of mp3/wav/flac/ogg files (needs ffmpeg)."""
    policy = policy or default_policy()
    if isinstance(source, (bytes, bytearray)):
        return _inspect_bytes(bytes(source), filename or "<bytes>", filename, declared, policy, registry,
                              check_c2pa, check_watermark, None, check_audio_cue)
    path = Path(source)
    try:
        with path.open("rb") as f:
            size = path.stat().st_size
            if size == 0:
                return _inspect_bytes(b"", str(path), path.name, declared, policy, registry, False, False, path,
                                      False)
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                return _inspect_bytes(mm, str(path), path.name, declared, policy, registry,  # type: ignore[arg-type]
                                      check_c2pa, check_watermark, path, check_audio_cue)
    except OSError as exc:
        r = InspectionResult(str(path), declared=declared)
        r.errors.append(f"cannot read file: {exc.strerror or exc}")
        return r


def _inspect_bytes(data: Any, name: str, filename: str | None, declared: Declared, policy: LabelPolicy,
                   registry: CarrierRegistry | None, check_c2pa: bool, check_watermark: bool,
                   path: Path | None, check_audio_cue: bool = True) -> InspectionResult:
    res = InspectionResult(name, declared=declared)
    rr: ReadResult = read_label(data, filename=filename, policy=policy, registry=registry)
    res.carrier, res.verdict = rr.carrier, rr.verdict
    res.errors += rr.errors
    res.warnings += rr.warnings
    if rr.carrier is None and path is not None and path.suffix.lower() in TEXT_EXTENSIONS:
        parsed = read_sidecar(path, policy)
        res.errors = [e for e in res.errors if "unknown format" not in e]
        if parsed is None:
            res.warnings.append("plain text has no metadata carrier and no .aigc.json sidecar was found")
        else:
            res.carrier = "sidecar"
            res.errors += parsed.errors
            res.warnings += parsed.warnings
            rr = ReadResult(parsed.label, "sidecar", [], parsed.errors, parsed.warnings)
            res.verdict = "noncompliant" if parsed.errors else "compliant"
    if rr.label is not None:
        res.implicit = rr.label.as_dict()
        k = _LABEL_CLASS.get(rr.label.Label)
        if k:
            res._raise(k, f"implicit label Label={rr.label.Label} in {res.carrier} "
                          f"(ContentProducer {rr.label.ContentProducer or '?'})")
        else:
            res._raise("suspected", f"implicit label present but Label={rr.label.Label!r} is invalid")
    elif rr.found:
        res._raise("suspected", "an AIGC metadata field is present but unreadable")
    if declared == "ai":
        res._raise("possible", "uploader declared the content AI-generated (Art 10 ¶1)")
    if res.carrier in _TEXT_CARRIERS or (path is not None and path.suffix.lower() in TEXT_EXTENSIONS):
        _explicit_text(data, res, policy)
    if check_audio_cue and res.carrier in _AUDIO_CARRIERS and not rr.too_large:
        _audio_cue(data, path, res)
    if rr.too_large and (check_c2pa or check_watermark):
        # the file already broke a processing limit: feed it to no further parser (bounded memory)
        res.warnings.append("C2PA and watermark not checked: the file exceeds a processing limit")
        check_c2pa = check_watermark = False
    if check_watermark and len(data) > policy.max_watermark_bytes:
        res.watermark = {"checked": False, "reason": f"file larger than max_watermark_bytes "
                                                     f"({policy.max_watermark_bytes})"}
        check_watermark = False
    if check_c2pa and res.carrier in ("jpeg", "png", "webp", "gif", "tiff", "heif", "mp4", "wav", "mp3", "pdf", "flac"):
        if path is not None:  # stream the file: a multi-GB video is not copied into memory
            with path.open("rb") as fh:
                c: C2paFinding = read_c2pa(fh, res.carrier, policy=policy)
        else:
            c = read_c2pa(bytes(data), res.carrier, policy=policy)
        res.c2pa = c.to_dict()
        if c.ai:
            res._raise(policy.c2pa_ai_class, f"C2PA manifest declares {', '.join(c.digital_source_types)} "
                                             f"(validation {c.validation_state})")
        if c.presence in ("error", "timeout", "unavailable") and c.error:  # not read: say so, never a silent "none"
            res.warnings.append(f"c2pa ({c.presence}): {c.error}")
    if check_watermark and res.carrier in _IMAGE_FORMATS:
        _watermark(bytes(data), res, policy)
    elif check_watermark and res.carrier in _AUDIO_FORMATS:
        _audio_watermark(data, path, res, policy)
    if declared == "human" and res.klass != "none":
        res.evidence.append("uploader declared human-made content, but the evidence above says otherwise")
    return res
