"""HEIF / HEIC / AVIF: XMP as a ``mime`` item (``application/rdf+xml``) declared in ``meta/iinf``,
located by ``meta/iloc`` and linked to the primary item with an ``iref`` ``cdsc`` reference
(ISO/IEC 23008-12; TC260 guide 20259A approach [U exact text]).

The XMP bytes go in a new ``mdat`` at the end of the file; ``meta`` is rebuilt and every file-offset
extent behind it is shifted by the size change, so coded image data is never touched.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from hegui.labeling import xmp
from hegui.labeling.carrier import (
    Buffer,
    CarrierCorrupt,
    CarrierMismatch,
    CarrierTooLarge,
    CarrierUnsupported,
    Edit,
    EditCarrier,
    FoundLabel,
)
from hegui.labeling.carriers._isobmff import Box, box, iter_boxes, top_level
from hegui.labeling.carriers._util import Budget, labels_from_xmp

HEIF_BRANDS = {b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis", b"heim", b"heis", b"hevc", b"hevx", b"mif2"}
_XMP_MIME = b"application/rdf+xml"
_MAX_ITEMS = 1 << 16  # items in iloc/iinf: the 16-bit limit of version 0/1; real files have a few hundred


def _uint(data: Buffer, pos: int, size: int) -> int:
    return int.from_bytes(bytes(data[pos:pos + size]), "big") if size else 0


@dataclass(slots=True)
class _Item:
    id: int
    method: int = 0
    dref: int = 0
    base: int = 0
    extents: list[list[int]] = field(default_factory=list)  # [index, offset, length]


class _Iloc:
    """Parsed ``iloc`` (versions 0–2)."""

    def __init__(self, data: Buffer, b: Box) -> None:
        p = b.body
        self.version = data[p]
        self.flags = bytes(data[p + 1:p + 4])
        self.off_size, self.len_size = data[p + 4] >> 4, data[p + 4] & 15
        self.base_size, self.idx_size = data[p + 5] >> 4, data[p + 5] & 15
        p += 6
        if self.version < 2:
            count, p = _uint(data, p, 2), p + 2
        else:
            count, p = _uint(data, p, 4), p + 4
        if count > _MAX_ITEMS:
            raise CarrierTooLarge(f"iloc lists {count} items (cap {_MAX_ITEMS})")
        self.items: list[_Item] = []
        for _ in range(count):
            idw = 2 if self.version < 2 else 4
            item = _Item(_uint(data, p, idw))
            p += idw
            if self.version in (1, 2):
                item.method = _uint(data, p, 2) & 15
                p += 2
            item.dref, p = _uint(data, p, 2), p + 2
            item.base, p = _uint(data, p, self.base_size), p + self.base_size
            n, p = _uint(data, p, 2), p + 2
            extents = []
            for _ in range(n):
                idx = 0
                if self.version in (1, 2) and self.idx_size:
                    idx, p = _uint(data, p, self.idx_size), p + self.idx_size
                off, p = _uint(data, p, self.off_size), p + self.off_size
                ln, p = _uint(data, p, self.len_size), p + self.len_size
                extents.append([idx, off, ln])
            item.extents = extents
            self.items.append(item)
            if p > b.end:
                raise CarrierCorrupt("iloc truncated")

    def encode(self) -> bytes:
        out = bytearray([self.version]) + self.flags
        out += bytes([(self.off_size << 4) | self.len_size, (self.base_size << 4) | self.idx_size])
        out += len(self.items).to_bytes(2 if self.version < 2 else 4, "big")
        for it in self.items:
            out += it.id.to_bytes(2 if self.version < 2 else 4, "big")
            if self.version in (1, 2):
                out += it.method.to_bytes(2, "big")
            out += it.dref.to_bytes(2, "big")
            out += it.base.to_bytes(self.base_size, "big") if self.base_size else b""
            out += len(it.extents).to_bytes(2, "big")
            for idx, off, ln in it.extents:
                if self.version in (1, 2) and self.idx_size:
                    out += idx.to_bytes(self.idx_size, "big")
                for v, size in ((off, self.off_size), (ln, self.len_size)):
                    if size == 0 and v:
                        raise CarrierUnsupported("iloc field width 0 cannot hold an offset")
                    if size and v >= 1 << (8 * size):
                        raise CarrierUnsupported("iloc offsets overflow after growing meta")
                    out += v.to_bytes(size, "big") if size else b""
        return box(b"iloc", bytes(out))


class HeifCarrier(EditCarrier):
    format_id = "heif"
    extensions = (".heic", ".heif", ".avif", ".hif")
    mimetypes = ("image/heic", "image/heif", "image/avif")

    def sniff(self, prefix: bytes) -> bool | str:
        return prefix[4:8] == b"ftyp" and bytes(prefix[8:12]) in HEIF_BRANDS

    def _parts(self, data: Buffer) -> tuple[list[Box], Box, dict[bytes, Box], list[tuple[int, bytes, bytes]]]:
        tops = top_level(data, Budget(self.policy))
        metas = [b for b in tops if b.type == b"meta"]
        if not metas:
            raise CarrierMismatch("no meta box")
        meta = metas[0]
        if meta.size > self.policy.max_meta_box_bytes:
            raise CarrierTooLarge("meta box too large")
        kids = {b.type: b for b in iter_boxes(data, meta.body + 4, meta.end)}
        if b"iinf" not in kids or b"iloc" not in kids:
            raise CarrierCorrupt("meta without iinf/iloc")
        return tops, meta, kids, self._infes(data, kids[b"iinf"])

    @staticmethod
    def _infes(data: Buffer, iinf: Box) -> list[tuple[int, bytes, bytes]]:
        """(item_id, item_type, content_type) for every infe (versions 2/3)."""
        start = iinf.body + (6 if data[iinf.body] == 0 else 8)
        out = []
        for e in iter_boxes(data, start, iinf.end, Budget(_MAX_ITEMS)):
            if e.type != b"infe":
                continue
            v, p = data[e.body], e.body + 4
            if v < 2:
                continue
            idw = 2 if v == 2 else 4
            iid = _uint(data, p, idw)
            p += idw + 2
            itype = bytes(data[p:p + 4])
            rest = bytes(data[p + 4:min(e.end, p + 4 + 1024)])  # item name + content type
            ctype = rest.split(b"\0")[1] if itype == b"mime" and rest.count(b"\0") >= 2 else b""
            out.append((iid, itype, ctype))
        return out

    def _xmp_ids(self, infes: list[tuple[int, bytes, bytes]]) -> list[int]:
        return [i for i, t, c in infes if t == b"mime" and c.startswith(_XMP_MIME)]

    def _item_data(self, data: Buffer, kids: dict[bytes, Box], iloc: _Iloc, iid: int) -> bytes:
        it = next((x for x in iloc.items if x.id == iid), None)
        if it is None:
            raise CarrierCorrupt(f"item {iid} has no location")
        out = b""
        for _idx, off, ln in it.extents:
            if it.method == 0:
                start = it.base + off
            elif it.method == 1 and b"idat" in kids:
                start = kids[b"idat"].body + it.base + off
            else:
                raise CarrierUnsupported("item construction method 2 is not supported")
            if ln > self.policy.max_xmp_bytes or start + ln > len(data):
                raise CarrierCorrupt("XMP item outside the file or too large")
            out += bytes(data[start:start + ln])
        return out

    def read(self, data: Buffer) -> list[FoundLabel]:
        _tops, _meta, kids, infes = self._parts(data)
        iloc = _Iloc(data, kids[b"iloc"])
        found: list[FoundLabel] = []
        for iid in self._xmp_ids(infes):
            found += labels_from_xmp(self.format_id, f"meta/item {iid} (XMP)",
                                     self._item_data(data, kids, iloc, iid), self.policy)
        return found

    def plan(self, data: Buffer, payload: str) -> list[Edit]:
        _tops, meta, kids, infes = self._parts(data)
        iloc = _Iloc(data, kids[b"iloc"])
        xmp_ids = self._xmp_ids(infes)
        old = self._item_data(data, kids, iloc, xmp_ids[0]).decode("utf-8", "replace") if xmp_ids else None
        packet = xmp.merge_packet(old, payload).encode("utf-8")
        new_iinf = bytes(data[kids[b"iinf"].offset:kids[b"iinf"].end])
        new_iref = bytes(data[kids[b"iref"].offset:kids[b"iref"].end]) if b"iref" in kids else None
        if xmp_ids:
            iid = xmp_ids[0]
        else:
            iid = max([i for i, _, _ in infes] + [0]) + 1
            v3 = iid > 0xFFFF
            infe = box(b"infe", bytes([3 if v3 else 2, 0, 0, 0]) + iid.to_bytes(4 if v3 else 2, "big") + b"\0\0"
                       + b"mime" + b"XMP\0" + _XMP_MIME + b"\0")
            ib = kids[b"iinf"]
            ver = data[ib.body]
            cnt_size = 2 if ver == 0 else 4
            count = _uint(data, ib.body + 4, cnt_size) + 1
            new_iinf = box(b"iinf", bytes(data[ib.body:ib.body + 4]) + count.to_bytes(cnt_size, "big")
                           + bytes(data[ib.body + 4 + cnt_size:ib.end]) + infe)
            primary = _uint(data, kids[b"pitm"].body + 4, 2 if data[kids[b"pitm"].body] == 0 else 4) if b"pitm" in kids else 1
            if new_iref is None:
                new_iref = box(b"iref", b"\0\0\0\0")
            ref_v = new_iref[8]
            w = 2 if ref_v == 0 else 4
            if iid >= 1 << (8 * w) or primary >= 1 << (8 * w):
                raise CarrierUnsupported("item id too large for iref v0")
            ref = box(b"cdsc", iid.to_bytes(w, "big") + (1).to_bytes(2, "big") + primary.to_bytes(w, "big"))
            new_iref = box(b"iref", new_iref[8:] + ref)
            iloc.items.append(_Item(iid, extents=[[0, 0, 0]]))
        if iloc.off_size == 0 or iloc.len_size == 0:
            raise CarrierUnsupported("iloc without offset/length fields")
        # size of the new meta does not depend on offset values (fixed widths), so build twice
        def build(shift: int, xmp_off: int) -> bytes:
            for it in iloc.items:
                if it.id == iid:
                    it.method, it.base, it.extents = 0, 0, [[0, xmp_off, len(packet)]]
                elif it.method == 0 and it.dref == 0:
                    if iloc.base_size and it.base >= meta.end:
                        it.base += shift
                    elif not iloc.base_size or it.base == 0:
                        it.extents = [[i, o + shift if o + it.base >= meta.end else o, ln] for i, o, ln in it.extents]
            body = bytearray()
            for k in iter_boxes(data, meta.body + 4, meta.end):
                if k.type == b"iloc":
                    body += iloc.encode()
                elif k.type == b"iinf":
                    body += new_iinf
                elif k.type == b"iref":
                    body += new_iref or b""
                else:
                    body += bytes(data[k.offset:k.end])
            if b"iref" not in kids and new_iref is not None:
                body += new_iref
            return box(b"meta", bytes(data[meta.body:meta.body + 4]) + bytes(body))

        snapshot = copy.deepcopy(iloc.items)
        trial = build(0, 0)
        delta = len(trial) - meta.size
        iloc.items = snapshot
        end = len(data) + delta
        new_meta = build(delta, end + 8)
        if len(new_meta) != len(trial):
            raise CarrierCorrupt("inconsistent iloc rebuild")
        if any(b.type in (b"moov", b"moof") for b in _tops):
            raise CarrierUnsupported("HEIF image sequences with a moov box are not supported")
        return [Edit(meta.offset, meta.size, new_meta), Edit(len(data), 0, box(b"mdat", packet))]
