"""C2PA manifests as inspector evidence (reference §9: C2PA is not an Annex E label, but a manifest
declaring ``trainedAlgorithmicMedia`` is a generation trace). Uses c2pa-python, a core dependency since
issue 14, so a default install reads manifests; a broken install reports ``presence="unavailable"``.

Remote manifests are not fetched by default; when the library would need the network the result
is reported as ``presence = "remote"`` after at most ``c2pa_remote_timeout_s``.
"""

from __future__ import annotations

import io
import json
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, BinaryIO

from hegui.labeling.policy import LabelPolicy, default_policy

MIME = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif", "tiff": "image/tiff",
        "heif": "image/heif", "mp4": "video/mp4", "wav": "audio/wav", "mp3": "audio/mpeg", "pdf": "application/pdf",
        "flac": "audio/flac"}


@dataclass(slots=True)
class C2paFinding:
    """``presence``: embedded | remote | none | error | timeout | unavailable."""

    presence: str
    validation_state: str | None = None
    digital_source_types: list[str] = field(default_factory=list)
    ai: bool = False
    claim_generator: str | None = None
    remote_url: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _walk_dst(obj: Any, out: list[str]) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "digitalSourceType" and isinstance(v, str):
                out.append(v)
            else:
                _walk_dst(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _walk_dst(v, out)


def _read(data: bytes | BinaryIO, mime: str, result: list[C2paFinding], policy: LabelPolicy) -> None:
    import c2pa

    try:
        ctx = None
        try:
            settings = c2pa.Settings.from_dict({"verify": {"remote_manifest_fetch": False}})
            ctx = c2pa.Context(settings)
        except Exception:  # noqa: BLE001 - older library without these settings
            ctx = None
        stream = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
        reader = c2pa.Reader(mime, stream, context=ctx) if ctx else c2pa.Reader(mime, stream)
        with reader:
            store = json.loads(reader.json())
            remote = reader.get_remote_url()
            active = store.get("manifests", {}).get(store.get("active_manifest") or "", {})
            dst: list[str] = []
            _walk_dst(active.get("assertions", []), dst)
            result.append(C2paFinding(
                presence="embedded" if reader.is_embedded() else "remote",
                validation_state=store.get("validation_state") or reader.get_validation_state(),
                digital_source_types=sorted(set(dst)),
                ai=any(d in policy.ai_digital_source_types or d.rsplit("/", 1)[-1] in policy.ai_digital_source_types
                       for d in dst),
                claim_generator=active.get("claim_generator"), remote_url=remote))
    except Exception as exc:  # noqa: BLE001 - c2pa raises its own tree; "no manifest" is normal
        msg = str(exc)
        low = msg.lower()
        if "remote" in low or "http" in low or "network" in low:
            import re

            url = re.search(r"https?://\S+", msg)
            result.append(C2paFinding(presence="remote", remote_url=url.group(0) if url else None, error=msg[:300]))
        elif "not found" in low or "no manifest" in low or "jumbf" in low or "manifestnotfound" in low:
            result.append(C2paFinding(presence="none"))
        else:
            result.append(C2paFinding(presence="error", error=msg[:300]))


def read_c2pa(data: bytes | BinaryIO, format_id: str | None, *, policy: LabelPolicy | None = None) -> C2paFinding:
    """Read the active C2PA manifest from bytes or a binary file (never raises).

    ``presence="timeout"`` means validation did not finish within ``c2pa_remote_timeout_s``."""
    policy = policy or default_policy()
    mime = MIME.get(format_id or "")
    if mime is None:
        return C2paFinding(presence="none")
    try:
        import c2pa  # noqa: F401
    except ImportError:
        return C2paFinding(presence="unavailable", error="c2pa-python is not installed")
    result: list[C2paFinding] = []
    t = threading.Thread(target=_read, args=(data, mime, result, policy), daemon=True)
    t.start()
    t.join(policy.c2pa_remote_timeout_s)
    if t.is_alive() or not result:
        return C2paFinding(presence="timeout", error=f"not finished after {policy.c2pa_remote_timeout_s}s")
    return result[0]
