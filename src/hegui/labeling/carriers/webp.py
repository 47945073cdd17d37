"""WebP: RIFF chunk ``XMP `` with the VP8X XMP flag set (TC260 guide 20259A).

Simple (VP8/VP8L) files are converted to the extended layout by adding a VP8X header built from the
bitstream's own dimensions; the image chunk is copied byte for byte.
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
    FoundLabel,
    apply_edits,
)
from hegui.labeling.carriers._util import Budget, labels_from_xmp, take
from hegui.labeling.policy import LabelPolicy

_XMP_FLAG, _ALPHA_FLAG = 0x04, 0x10


def riff_chunks(data: Buffer, form: bytes, budget: Budget | None = None) -> list[tuple[bytes, int, int]]:
    """(id, offset, data_length) of top-level chunks in a RIFF file of the given form type."""
    budget = budget or Budget(1 << 20)
    if bytes(data[:4]) != b"RIFF" or bytes(data[8:12]) != form:
        raise CarrierMismatch(f"not RIFF/{form!r}")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    end = min(len(data), 8 + riff_size)
    if 8 + riff_size > len(data):
        raise CarrierCorrupt(f"RIFF says {riff_size + 8} bytes, file has {len(data)}")
    out, pos = [], 12
    while pos + 8 <= end:
        budget.tick("RIFF chunks")
        cid, ln = struct.unpack_from("<4sI", data, pos)
        if pos + 8 + ln > end:
            raise CarrierCorrupt(f"chunk {cid!r} at {pos} is truncated")
        out.append((cid, pos, ln))
        pos += 8 + ln + (ln & 1)
    return out


def riff_chunk(cid: bytes, body: bytes) -> bytes:
    return cid + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) & 1 else b"")


class WebpCarrier:
    format_id = "webp"
    extensions = (".webp",)
    mimetypes = ("image/webp",)

    def __init__(self, policy: LabelPolicy) -> None:
        self.policy = policy

    def sniff(self, prefix: bytes) -> bool | str:
        return prefix[:4] == b"RIFF" and prefix[8:12] == b"WEBP"

    def read(self, data: Buffer) -> list[FoundLabel]:
        found: list[FoundLabel] = []
        for cid, off, ln in riff_chunks(data, b"WEBP", Budget(self.policy)):
            if cid == b"XMP ":
                found += labels_from_xmp(self.format_id, "XMP chunk",
                                         take(data, off + 8, ln, self.policy.max_xmp_bytes, "WebP XMP chunk"),
                                         self.policy)
        return found

    def plan(self, data: Buffer, payload: str) -> list[Edit]:
        cs = riff_chunks(data, b"WEBP", Budget(self.policy))
        if not cs:
            raise CarrierCorrupt("WebP has no chunks")
        xmps = [c for c in cs if c[0] == b"XMP "]
        old = take(data, xmps[0][1] + 8, xmps[0][2], self.policy.max_xmp_bytes, "WebP XMP chunk").decode(
            "utf-8", "replace") if xmps else None
        packet = riff_chunk(b"XMP ", xmp.merge_packet(old, payload).encode("utf-8"))
        first = cs[0]
        if first[0] == b"VP8X":
            if first[2] < 10:
                raise CarrierCorrupt("VP8X chunk too short")
            edits = [Edit(first[1] + 8, 1, bytes([data[first[1] + 8] | _XMP_FLAG]))]
            added = 0
        else:
            # only the frame header is needed (10 bytes), never the bitstream
            vp8x = self._vp8x_for(first[0], bytes(data[first[1] + 8: first[1] + 8 + min(first[2], 16)]))
            vp8x[0] |= _XMP_FLAG
            head = riff_chunk(b"VP8X", bytes(vp8x))
            edits = [Edit(first[1], 0, head)]
            added = len(head)
        removed = 0
        for _c, off, ln in xmps:
            size = 8 + ln + (ln & 1)
            edits.append(Edit(off, min(size, len(data) - off), b""))
            removed += size
        last = cs[-1]
        end = min(len(data), last[1] + 8 + last[2] + (last[2] & 1))
        pad = b"\x00" if end & 1 else b""
        edits.append(Edit(end, len(data) - end, pad + packet))  # drops trailing bytes outside RIFF
        new_size = end - 8 - removed + added + len(pad) + len(packet)
        edits.append(Edit(4, 4, struct.pack("<I", new_size)))
        return edits

    def write(self, data: Buffer, payload: str) -> bytes:
        return apply_edits(data, self.plan(data, payload))

    @staticmethod
    def _vp8x_for(cid: bytes, b: bytes) -> bytearray:
        flags = 0
        if cid == b"VP8 ":
            if len(b) < 10 or b[3:6] != b"\x9d\x01\x2a":
                raise CarrierCorrupt("VP8 frame header missing")
            w, h = struct.unpack_from("<HH", b, 6)
            w, h = w & 0x3FFF, h & 0x3FFF
        elif cid == b"VP8L":
            if len(b) < 5 or b[0] != 0x2F:
                raise CarrierCorrupt("VP8L signature missing")
            (bits,) = struct.unpack_from("<I", b, 1)
            w, h = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            if bits >> 28 & 1:
                flags |= _ALPHA_FLAG
        else:
            raise CarrierUnsupported(f"WebP starting with chunk {cid!r}")
        return bytearray(struct.pack("<B3x", flags) + (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little"))
