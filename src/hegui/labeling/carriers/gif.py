"""GIF: XMP in an Application Extension ``XMP DataXMP`` with the 258-byte magic trailer (XMP spec
part 3; TC260 guide 20259A). LZW image data is copied unchanged."""

from __future__ import annotations

from hegui.labeling import xmp
from hegui.labeling.carrier import Buffer, CarrierCorrupt, CarrierMismatch, Edit, EditCarrier, FoundLabel
from hegui.labeling.carriers._util import Budget, labels_from_xmp, take

_APP_XMP = b"\x21\xff\x0bXMP DataXMP"
_TRAILER = b"\x01" + bytes(range(255, -1, -1)) + b"\x00"


def _skip_subblocks(data: Buffer, pos: int, budget: Budget) -> int:
    n = len(data)
    while True:
        budget.tick("GIF data sub-blocks")
        if pos >= n:
            raise CarrierCorrupt("GIF ends inside a data sub-block chain")
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos


def blocks(data: Buffer, budget: Budget | None = None) -> tuple[int, list[tuple[str, int, int]]]:
    """(end of header+GCT, [(kind, offset, length)]) up to the trailer; every block and sub-block
    counts against ``budget``."""
    budget = budget or Budget(1 << 20)
    if bytes(data[:6]) not in (b"GIF87a", b"GIF89a"):
        raise CarrierMismatch("not GIF")
    if len(data) < 13:
        raise CarrierCorrupt("GIF header truncated")
    flags = data[10]
    pos = 13 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
    head_end = pos
    out: list[tuple[str, int, int]] = []
    while True:
        if pos >= len(data):
            raise CarrierCorrupt("GIF ends without trailer")
        budget.tick("GIF blocks")
        b = data[pos]
        if b == 0x3B:
            return head_end, out
        start = pos
        if b == 0x21:
            kind = "xmp" if bytes(data[pos:pos + 14]) == _APP_XMP else "ext"
            pos = _skip_subblocks(data, pos + 2, budget)
        elif b == 0x2C:
            if pos + 10 > len(data):
                raise CarrierCorrupt("GIF image descriptor truncated")
            f = data[pos + 9]
            pos += 10 + (3 * (2 << (f & 7)) if f & 0x80 else 0) + 1
            pos = _skip_subblocks(data, pos, budget)
            kind = "image"
        else:
            raise CarrierCorrupt(f"unknown GIF block 0x{b:02X} at {pos}")
        out.append((kind, start, pos - start))


class GifCarrier(EditCarrier):
    format_id = "gif"
    extensions = (".gif",)
    mimetypes = ("image/gif",)

    def sniff(self, prefix: bytes) -> bool | str:
        return prefix[:6] in (b"GIF87a", b"GIF89a")

    def _xmp_body(self, data: Buffer, off: int, ln: int) -> bytes:
        return take(data, off + 14, ln - 14, self.policy.max_xmp_bytes + len(_TRAILER), "GIF XMP block")

    def read(self, data: Buffer) -> list[FoundLabel]:
        found: list[FoundLabel] = []
        for kind, off, ln in blocks(data, Budget(self.policy))[1]:
            if kind == "xmp":
                body = self._xmp_body(data, off, ln)
                body = body[:-len(_TRAILER)] if body.endswith(_TRAILER) else body
                found += labels_from_xmp(self.format_id, "XMP DataXMP", body, self.policy)
        return found

    def plan(self, data: Buffer, payload: str) -> list[Edit]:
        head_end, bs = blocks(data, Budget(self.policy))
        xs = [(o, ln) for k, o, ln in bs if k == "xmp"]
        old = None
        if xs:
            body = self._xmp_body(data, xs[0][0], xs[0][1])
            old = (body[:-len(_TRAILER)] if body.endswith(_TRAILER) else body).decode("utf-8", "replace")
        packet = xmp.merge_packet(old, payload).encode("utf-8")
        block = _APP_XMP + packet + _TRAILER
        edits = [Edit(o, ln, b"") for o, ln in xs]
        edits.append(Edit(head_end, 0, block))
        if bytes(data[:6]) == b"GIF87a":
            edits.append(Edit(0, 6, b"GIF89a"))  # extensions need 89a; no image data changes
        return edits
