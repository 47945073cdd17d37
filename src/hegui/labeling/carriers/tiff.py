"""TIFF: XMP in IFD0 tag 700 (XMLPacket, type UNDEFINED) (TC260 guide 20259A).

IFD0 is rewritten at the end of the file with tag 700 added or replaced and the header pointed at
it; strips/tiles and every other offset stay where they were, so image data is untouched.
"""

from __future__ import annotations

import struct

from hegui.labeling import xmp
from hegui.labeling.carrier import (
    Buffer,
    CarrierCorrupt,
    CarrierMismatch,
    CarrierUnsupported,
    Edit,
    EditCarrier,
    FoundLabel,
)
from hegui.labeling.carriers._util import labels_from_xmp

_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_MAX_ENTRIES = 4096


def _ifd0(data: Buffer) -> tuple[str, int, list[tuple[int, int, int, bytes]], int]:
    """(endian, ifd_offset, [(tag, type, count, raw4)], next_ifd)."""
    head = bytes(data[:8])
    if head[:4] == b"II*\x00":
        e = "<"
    elif head[:4] == b"MM\x00*":
        e = ">"
    elif head[:4] in (b"II+\x00", b"MM\x00+"):
        raise CarrierUnsupported("BigTIFF is not supported")
    else:
        raise CarrierMismatch("not TIFF")
    (off,) = struct.unpack_from(e + "I", data, 4)
    if off + 2 > len(data):
        raise CarrierCorrupt("IFD0 offset beyond end of file")
    (n,) = struct.unpack_from(e + "H", data, off)
    if n > _MAX_ENTRIES or off + 2 + 12 * n + 4 > len(data):
        raise CarrierCorrupt("IFD0 truncated or implausible")
    entries = []
    for i in range(n):
        tag, typ, count = struct.unpack_from(e + "HHI", data, off + 2 + 12 * i)
        entries.append((tag, typ, count, bytes(data[off + 10 + 12 * i: off + 14 + 12 * i])))
    (nxt,) = struct.unpack_from(e + "I", data, off + 2 + 12 * n)
    return e, off, entries, nxt


class TiffCarrier(EditCarrier):
    format_id = "tiff"
    extensions = (".tif", ".tiff")
    mimetypes = ("image/tiff",)

    def sniff(self, prefix: bytes) -> bool | str:
        if prefix[:4] in (b"II+\x00", b"MM\x00+"):
            return "BigTIFF is not supported"
        return prefix[:4] in (b"II*\x00", b"MM\x00*")

    def _packet(self, data: Buffer, e: str, entries: list[tuple[int, int, int, bytes]]) -> bytes | None:
        for tag, typ, count, raw in entries:
            if tag == 700:
                size = count * _SIZES.get(typ, 1)
                if size <= 4:
                    return raw[:size]
                (o,) = struct.unpack(e + "I", raw)
                if o + size > len(data):
                    raise CarrierCorrupt("XMP tag points beyond end of file")
                if size > self.policy.max_xmp_bytes:
                    from hegui.labeling.carrier import CarrierTooLarge
                    raise CarrierTooLarge("TIFF XMP tag too large")
                return bytes(data[o:o + size])
        return None

    def read(self, data: Buffer) -> list[FoundLabel]:
        e, _off, entries, _ = _ifd0(data)
        pkt = self._packet(data, e, entries)
        return labels_from_xmp(self.format_id, "IFD0 tag 700", pkt, self.policy) if pkt else []

    def plan(self, data: Buffer, payload: str) -> list[Edit]:
        e, _off, entries, nxt = _ifd0(data)
        old = self._packet(data, e, entries)
        packet = xmp.merge_packet(old.decode("utf-8", "replace") if old else None, payload).encode("utf-8")
        end = len(data)
        pad = b"\x00" * (end & 1)
        xmp_at = end + len(pad)
        ifd_at = xmp_at + len(packet) + (len(packet) & 1)
        entries = [x for x in entries if x[0] != 700] + [(700, 7, len(packet), struct.pack(e + "I", xmp_at))]
        entries.sort(key=lambda x: x[0])
        ifd = struct.pack(e + "H", len(entries)) + b"".join(
            struct.pack(e + "HHI", t, ty, c) + raw for t, ty, c, raw in entries) + struct.pack(e + "I", nxt)
        tail = pad + packet + b"\x00" * (len(packet) & 1) + ifd
        return [Edit(4, 4, struct.pack(e + "I", ifd_at)), Edit(end, 0, tail)]
