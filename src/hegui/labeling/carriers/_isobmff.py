"""Minimal ISO base media file format box walker (ISO/IEC 14496-12) with byte caps."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from hegui.labeling.carrier import Buffer, CarrierCorrupt, CarrierMismatch
from hegui.labeling.carriers._util import Budget

_CONTAINERS = {b"moov", b"udta", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"iprp", b"ipco"}


@dataclass(frozen=True, slots=True)
class Box:
    type: bytes
    offset: int  # of the header
    header: int  # header length
    size: int  # total size

    @property
    def body(self) -> int:
        return self.offset + self.header

    @property
    def end(self) -> int:
        return self.offset + self.size


def iter_boxes(data: Buffer, start: int, end: int, budget: Budget | None = None) -> Iterator[Box]:
    """Boxes in [start, end); each counts against ``budget`` (a fresh 2^20 one per call if None)."""
    budget = budget or Budget(1 << 20)
    pos = start
    while pos < end:
        budget.tick("ISO BMFF boxes")
        if pos + 8 > end:
            raise CarrierCorrupt(f"box header truncated at {pos}")
        size, btype = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise CarrierCorrupt(f"large box header truncated at {pos}")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise CarrierCorrupt(f"box {btype!r} at {pos} claims {size} bytes beyond its parent")
        yield Box(btype, pos, header, size)
        pos += size


def top_level(data: Buffer, budget: Budget | None = None) -> list[Box]:
    if bytes(data[4:8]) not in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"):
        raise CarrierMismatch("not ISO BMFF")
    return list(iter_boxes(data, 0, len(data), budget))


def box(btype: bytes, body: bytes) -> bytes:
    if len(body) + 8 > 0xFFFFFFFF:
        return struct.pack(">I4sQ", 1, btype, len(body) + 16) + body
    return struct.pack(">I4s", len(body) + 8, btype) + body


def meta_children_start(data: Buffer, meta: Box) -> int:
    """ISO ``meta`` is a full box; QuickTime's is not — detect by the first child type."""
    b = meta.body
    return b if bytes(data[b + 4:b + 8]) == b"hdlr" else b + 4


def brands(data: Buffer) -> set[bytes]:
    if bytes(data[4:8]) != b"ftyp":
        return set()
    (size,) = struct.unpack_from(">I", data, 0)
    size = min(size, len(data), 4096)
    out = {bytes(data[8:12])}
    out |= {bytes(data[i:i + 4]) for i in range(16, size - 3, 4)}
    return out
