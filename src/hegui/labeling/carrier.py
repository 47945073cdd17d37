"""Carrier protocol and registry (Pillow's plugin skeleton, without global state).

A carrier knows one container format: where its ``AIGC`` label lives, how to read it, and how to
insert it losslessly (GB 45438 §6.1, Annex E; TC260 carrier guides). Carriers that can, describe a
write as a list of :class:`Edit` over the source bytes, so multi-GB files are streamed, never loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from hegui.labeling.label import ParsedLabel, parse_label_value
from hegui.labeling.policy import LabelPolicy

Buffer = bytes | bytearray | memoryview  # also mmap.mmap (same slicing behaviour)


class CarrierMismatch(Exception):  # noqa: N818 - internal control flow, never user-facing
    """The data is not this carrier's format: try the next one."""


class CarrierCorrupt(Exception):  # noqa: N818 - translated to LabelFileCorrupt at the boundary
    """The data is this carrier's format but truncated/corrupt: stop and report."""


class CarrierUnsupported(Exception):  # noqa: N818 - translated to LabelCarrierUnsupported
    """The data is this carrier's format but this variant cannot carry a label here."""


class CarrierTooLarge(Exception):  # noqa: N818 - translated to LabelFileTooLarge
    """A byte cap was hit."""


@dataclass(slots=True)
class FoundLabel:
    """One AIGC value found in a file."""

    carrier: str
    location: str
    raw: str
    parsed: ParsedLabel

    @classmethod
    def of(cls, carrier: str, location: str, raw: str | bytes, policy: LabelPolicy,
           value: object | None = None) -> FoundLabel:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        return cls(carrier, location, text, parse_label_value(text if value is None else value,
                                                              policy=policy))


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``length`` source bytes at ``offset`` with ``data`` (length 0 = insert)."""

    offset: int
    length: int
    data: bytes


def apply_edits(src: Buffer, edits: Sequence[Edit]) -> bytes:
    """Apply non-overlapping edits to an in-memory source."""
    out = bytearray()
    pos = 0
    for e in sorted(edits, key=lambda e: (e.offset, e.length)):
        if e.offset < pos or e.offset + e.length > len(src):
            raise CarrierCorrupt("overlapping or out-of-range edit")
        out += src[pos:e.offset]
        out += e.data
        pos = e.offset + e.length
    out += src[pos:]
    return bytes(out)


def iter_edited(src: Buffer, edits: Sequence[Edit], chunk: int = 1 << 20) -> Iterable[bytes]:
    """Yield the edited file in chunks (for streaming a memory-mapped source to disk)."""
    pos = 0
    for e in sorted(edits, key=lambda e: (e.offset, e.length)):
        if e.offset < pos or e.offset + e.length > len(src):
            raise CarrierCorrupt("overlapping or out-of-range edit")
        while pos < e.offset:
            end = min(e.offset, pos + chunk)
            yield bytes(src[pos:end])
            pos = end
        yield e.data
        pos = e.offset + e.length
    while pos < len(src):
        end = min(len(src), pos + chunk)
        yield bytes(src[pos:end])
        pos = end


@runtime_checkable
class Carrier(Protocol):
    """One container format. ``write`` inserts losslessly and never re-encodes media data."""

    format_id: str
    extensions: tuple[str, ...]
    mimetypes: tuple[str, ...]

    def sniff(self, prefix: bytes) -> bool | str: ...

    def read(self, data: Buffer) -> list[FoundLabel]: ...

    def write(self, data: Buffer, payload: str) -> bytes: ...


class EditCarrier:
    """Base for carriers whose write is an edit list (streamable)."""

    format_id = ""
    extensions: tuple[str, ...] = ()
    mimetypes: tuple[str, ...] = ()

    def __init__(self, policy: LabelPolicy) -> None:
        self.policy = policy

    def plan(self, data: Buffer, payload: str) -> list[Edit]:
        raise NotImplementedError

    def write(self, data: Buffer, payload: str) -> bytes:
        return apply_edits(data, self.plan(data, payload))


@dataclass(slots=True)
class CarrierRegistry:
    """Instance registry of carriers; lookups by id, magic bytes, extension and MIME type."""

    _by_id: dict[str, Carrier] = field(default_factory=dict)

    def register(self, carrier: Carrier) -> None:
        key = carrier.format_id.lower()
        if not key or key in self._by_id:
            raise ValueError(f"carrier id {carrier.format_id!r} is empty or already registered")
        self._by_id[key] = carrier

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_id.values())

    def get(self, format_id: str) -> Carrier | None:
        return self._by_id.get(format_id.lower())

    def ids(self) -> list[str]:
        return list(self._by_id)

    def detect(self, prefix: bytes) -> tuple[Carrier | None, str | None]:
        """First carrier whose ``sniff`` claims the prefix; ``(carrier, why_unsupported)``."""
        for c in self._by_id.values():
            verdict = c.sniff(prefix)
            if verdict is True:
                return c, None
            if isinstance(verdict, str) and verdict:
                return c, verdict
        return None, None

    def by_extension(self, name: str) -> Carrier | None:
        name = name.lower()
        for c in self._by_id.values():
            if any(name.endswith(ext) for ext in c.extensions):
                return c
        return None

    def by_mime(self, mime: str) -> Carrier | None:
        mime = mime.lower().split(";")[0].strip()
        for c in self._by_id.values():
            if mime in c.mimetypes:
                return c
        return None
