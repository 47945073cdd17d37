"""Public implicit-label API: detect the format, write through its carrier with a read-after-write
check, read every carrier's label (GB 45438-2025 §6.1, Annex E; Labeling Measures Art 5).
"""

from __future__ import annotations

import contextlib
import mmap
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hegui.labeling.carrier import (
    Buffer,
    Carrier,
    CarrierCorrupt,
    CarrierMismatch,
    CarrierRegistry,
    CarrierTooLarge,
    CarrierUnsupported,
    FoundLabel,
)
from hegui.labeling.errors import (
    LabelCarrierUnsupported,
    LabelFileCorrupt,
    LabelFileTooLarge,
    LabelReadBackFailed,
    LabelWriteFailed,
)
from hegui.labeling.label import ImplicitLabel
from hegui.labeling.policy import LabelPolicy, default_policy

_SNIFF_BYTES = 4096


@dataclass(slots=True)
class ReadResult:
    """What a file says about itself. ``verdict``: compliant / noncompliant / not_found / inconclusive."""

    label: ImplicitLabel | None
    carrier: str | None
    found: list[FoundLabel] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    too_large: bool = False  # a processing limit was hit: the file was refused, not parsed

    @property
    def verdict(self) -> str:
        if any(e.startswith("corrupt:") for e in self.errors):
            return "inconclusive"
        if not self.found:
            return "not_found"
        return "noncompliant" if self.errors else "compliant"

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label.as_dict() if self.label else None, "carrier": self.carrier,
                "verdict": self.verdict, "errors": self.errors, "warnings": self.warnings,
                "locations": [f.location for f in self.found]}


def _registry(registry: CarrierRegistry | None, policy: LabelPolicy) -> CarrierRegistry:
    if registry is not None:
        return registry
    from hegui.labeling.carriers import default_registry

    return default_registry(policy)


def resolve_carrier(data: Buffer, filename: str | None, registry: CarrierRegistry) -> tuple[Carrier, list[str]]:
    """Magic bytes first, then the extension; a mismatch between the two is a warning."""
    notes: list[str] = []
    carrier, why = registry.detect(bytes(data[:_SNIFF_BYTES]))
    by_ext = registry.by_extension(filename) if filename else None
    if carrier is not None and why:
        raise LabelCarrierUnsupported(detail=why)
    if carrier is None:
        if by_ext is None:
            raise LabelCarrierUnsupported(detail=f"unknown format ({filename or 'no file name'})")
        if by_ext.format_id not in ("markdown", "html") and len(data):
            raise LabelFileCorrupt(format=by_ext.format_id,
                                   detail=f"content does not match the extension of {filename}")
        carrier = by_ext
    elif by_ext is not None and by_ext.format_id != carrier.format_id:
        notes.append(f"extension of {filename} says {by_ext.format_id}, content is {carrier.format_id}")
    return carrier, notes


@contextlib.contextmanager
def translate(fmt: str) -> Iterator[None]:
    """Translate internal carrier exceptions to the public LabelError tree."""
    try:
        yield
    except CarrierTooLarge as exc:
        raise LabelFileTooLarge(detail=f"{fmt}: {exc}") from exc
    except CarrierUnsupported as exc:
        raise LabelCarrierUnsupported(detail=f"{fmt}: {exc}") from exc
    except (CarrierCorrupt, CarrierMismatch) as exc:
        raise LabelFileCorrupt(format=fmt, detail=str(exc)) from exc
    except (IndexError, ValueError, KeyError, OverflowError, EOFError, struct.error, zlib.error) as exc:
        # slicing/unpacking/inflating truncated or hostile data
        raise LabelFileCorrupt(format=fmt, detail=f"truncated or malformed: {exc}") from exc


def _summarise(carrier: str, found: list[FoundLabel], notes: list[str]) -> ReadResult:
    res = ReadResult(None, carrier, found, [], list(notes))
    good = [f for f in found if f.parsed.label is not None]
    for f in found:
        res.errors += [f"{f.location}: {e}" for e in f.parsed.errors]
        res.warnings += [f"{f.location}: {w}" for w in f.parsed.warnings]
    if good:
        res.label = good[0].parsed.label
        distinct = {f.parsed.label for f in good}
        if len(distinct) > 1:
            res.errors.append("carriers in this file disagree: " + ", ".join(f.location for f in good))
        same_place = [f.location for f in found]
        if len(same_place) != len(set(same_place)):
            res.errors.append("more than one label in one carrier (GB 45438 §6.1 c: exactly one)")
        elif len(good) > 1 and len(distinct) == 1:
            res.warnings.append(f"label repeated in {len(good)} carriers (they agree)")
    return res


def read_label(data: Buffer, *, filename: str | None = None, policy: LabelPolicy | None = None,
               registry: CarrierRegistry | None = None) -> ReadResult:
    """Read the implicit label; never raises for bad files — problems land in ``errors``."""
    policy = policy or default_policy()
    reg = _registry(registry, policy)
    try:
        carrier, notes = resolve_carrier(data, filename, reg)
    except (LabelCarrierUnsupported, LabelFileCorrupt) as exc:
        return ReadResult(None, None, [], [exc.message("en")])
    try:
        with translate(carrier.format_id):
            found = carrier.read(data)
    except (LabelFileCorrupt, LabelFileTooLarge, LabelCarrierUnsupported) as exc:
        return ReadResult(None, carrier.format_id, [], [f"corrupt: {exc.message('en')}"], notes,
                          too_large=isinstance(exc, LabelFileTooLarge))
    return _summarise(carrier.format_id, found, notes)


def _payload(label: ImplicitLabel, policy: LabelPolicy) -> str:
    label.check(policy)
    return label.to_json(policy.json_form)


def _verify(carrier: Carrier, data: Buffer, label: ImplicitLabel) -> None:
    with translate(carrier.format_id):
        found = carrier.read(data)
    labels = [f.parsed.label for f in found]
    places = [f.location for f in found]
    if not labels or any(x != label for x in labels) or len(places) != len(set(places)):
        raise LabelReadBackFailed(format=carrier.format_id,
                                  detail=f"expected one identical label per carrier, read back {len(labels)}")


def write_label(data: bytes, label: ImplicitLabel, *, filename: str | None = None,
                policy: LabelPolicy | None = None, registry: CarrierRegistry | None = None) -> bytes:
    """Return ``data`` with exactly one implicit label (replacing any), media bytes unchanged."""
    policy = policy or default_policy()
    payload = _payload(label, policy)
    if len(data) > policy.max_in_memory_bytes:
        raise LabelFileTooLarge(detail="use write_label_file() to stream large files")
    carrier, _notes = resolve_carrier(data, filename, _registry(registry, policy))
    with translate(carrier.format_id):
        out = carrier.write(data, payload)
    _verify(carrier, out, label)
    return out


@contextlib.contextmanager
def _mapped(path: Path) -> Iterator[Buffer]:
    with path.open("rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            yield b""
            return
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            yield mm  # type: ignore[misc]


def read_label_file(path: str | Path, *, policy: LabelPolicy | None = None,
                    registry: CarrierRegistry | None = None) -> ReadResult:
    """Read a file through a memory map (bounded memory on multi-GB media)."""
    path = Path(path)
    with _mapped(path) as data:
        return read_label(data, filename=path.name, policy=policy, registry=registry)


def write_label_file(src: str | Path, label: ImplicitLabel, *, dst: str | Path | None = None,
                     policy: LabelPolicy | None = None, registry: CarrierRegistry | None = None,
                     durable: bool = True) -> Path:
    """Label ``src`` into ``dst`` (``dst=src`` for in place) atomically: temp + fsync + rename.

    Carriers with an edit plan (JPEG, PNG, GIF, TIFF, MP4/MOV, MKV/WebM, WAV) stream from a memory
    map, so multi-GB video needs only the metadata boxes in memory. The read-back check runs on the
    temp file before the rename; on any error the destination is untouched. ``durable=False`` skips
    fsync (bulk re-runnable jobs); the rename stays atomic.
    """
    from hegui.labeling.atomic import map_os_error, write_atomic, write_edited_atomic

    policy = policy or default_policy()
    reg = _registry(registry, policy)
    src, dst = Path(src), Path(dst) if dst is not None else Path(src)
    payload = _payload(label, policy)
    try:
        ctx = _mapped(src)
        data = ctx.__enter__()
    except OSError as exc:
        raise LabelWriteFailed(path=str(src), detail=exc.strerror or str(exc)) from exc
    try:
        carrier, _ = resolve_carrier(data, src.name, reg)

        def verify(tmp: Path) -> None:
            with _mapped(tmp) as written:
                _verify(carrier, written, label)

        plan = getattr(carrier, "plan", None)
        with translate(carrier.format_id):
            if plan is not None:
                edits = plan(data, payload)
                with src.open("rb") as fsrc:
                    write_edited_atomic(dst, fsrc.fileno(), len(data), [(e.offset, e.length, e.data) for e in edits],
                                        verify, durable=durable)
            else:
                if len(data) > policy.max_in_memory_bytes:
                    raise LabelFileTooLarge(detail=f"{carrier.format_id} files above "
                                                   f"{policy.max_in_memory_bytes} bytes are not supported")
                out = carrier.write(data, payload)
                write_atomic(dst, out, verify, durable=durable)
    except OSError as exc:
        raise map_os_error(exc, dst) from exc
    finally:
        ctx.__exit__(None, None, None)
    return dst
