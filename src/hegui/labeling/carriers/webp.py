"""WebP: RIFF chunk ``XMP `` with the VP8X XMP flag set (TC260 guide 20259A).

Simple (VP8/VP8L) files are converted to the extended layout by adding a VP8X header built from the
bitstream's own dimensions; the image chunk is copied byte for byte.
"""

from __future__ import annotations

import struct

from hegui.labeling import xmp
from hegui.labeling.carrier import Buffer, CarrierCorrupt, CarrierMismatch, CarrierUnsupported, EditCarrier, FoundLabel
from hegui.labeling.carriers._util import labels_from_xmp

_XMP_FLAG, _ALPHA_FLAG = 0x04, 0x10


def riff_chunks(data: Buffer, form: bytes) -> list[tuple[bytes, int, int]]:
    """(id, offset, data_length) of top-level chunks in a RIFF file of the given form type."""
    if bytes(data[:4]) != b"RIFF" or bytes(data[8:12]) != form:
        raise CarrierMismatch(f"not RIFF/{form!r}")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    end = min(len(data), 8 + riff_size)
    if 8 + riff_size > len(data):
        raise CarrierCorrupt(f"RIFF says {riff_size + 8} bytes, file has {len(data)}")
    out, pos = [], 12
    while pos + 8 <= end:
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

    def __init__(self, policy) -> None:  # type: ignore[no-untyped-def]
        self.policy = policy

    def sniff(self, prefix: bytes) -> bool | str:
        return prefix[:4] == b"RIFF" and prefix[8:12] == b"WEBP"

    def read(self, data: Buffer) -> list[FoundLabel]:
        found: list[FoundLabel] = []
        for cid, off, ln in riff_chunks(data, b"WEBP"):
            if cid == b"XMP ":
                found += labels_from_xmp(self.format_id, "XMP chunk", bytes(data[off + 8: off + 8 + ln]),
                                         self.policy)
        return found

    def write(self, data: Buffer, payload: str) -> bytes:
        cs = riff_chunks(data, b"WEBP")
        if not cs:
            raise CarrierCorrupt("WebP has no chunks")
        body = lambda c: bytes(data[c[1] + 8: c[1] + 8 + c[2]])  # noqa: E731
        raw = lambda c: bytes(data[c[1]: c[1] + 8 + c[2] + (c[2] & 1)])  # noqa: E731
        xmps = [c for c in cs if c[0] == b"XMP "]
        old = body(xmps[0]).decode("utf-8", "replace") if xmps else None
        packet = xmp.merge_packet(old, payload).encode("utf-8")
        rest = [c for c in cs if c[0] not in (b"XMP ", b"VP8X")]
        if cs[0][0] == b"VP8X":
            vp8x = bytearray(body(cs[0]))
            if len(vp8x) < 10:
                raise CarrierCorrupt("VP8X chunk too short")
        else:
            vp8x = self._vp8x_for(cs[0][0], body(cs[0]))
        vp8x[0] |= _XMP_FLAG
        parts = [riff_chunk(b"VP8X", bytes(vp8x))] + [raw(c) for c in rest] + [riff_chunk(b"XMP ", packet)]
        out = b"".join(parts)
        return b"RIFF" + struct.pack("<I", len(out) + 4) + b"WEBP" + out

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
