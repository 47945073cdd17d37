"""PNG: XMP in an uncompressed ``iTXt`` chunk, keyword ``XML:com.adobe.xmp`` (TC260 guide 20259A).

Vendor practice (Alibaba, Kling, a Doubao variant) uses ``tEXt``/``zTXt``/``iTXt`` keyword ``AIGC``:
always read; written only when the policy sets ``png_text_chunk``; otherwise a stale one is dropped
on write so the file keeps exactly one label. IDAT chunks are never touched.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

from hegui.labeling import xmp
from hegui.labeling.carrier import (
    Buffer,
    CarrierCorrupt,
    CarrierMismatch,
    CarrierTooLarge,
    Edit,
    EditCarrier,
    FoundLabel,
)
from hegui.labeling.carriers._util import Budget, labels_from_xmp, take

SIG = b"\x89PNG\r\n\x1a\n"
XMP_KEY = b"XML:com.adobe.xmp"
_MAX_CHUNK = (1 << 31) - 1  # PNG spec: chunk lengths above 2^31-1 are invalid


def chunks(data: Buffer, budget: Budget | None = None) -> Iterator[tuple[bytes, int, int]]:
    """(type, offset, data_length) for every chunk up to IEND, walked lazily (never listed)."""
    if bytes(data[:8]) != SIG:
        raise CarrierMismatch("not PNG")
    budget = budget or Budget(1 << 20)
    pos, n = 8, len(data)
    while True:
        if pos + 12 > n:
            raise CarrierCorrupt("PNG ends before IEND")
        length, ctype = struct.unpack_from(">I4s", data, pos)
        if length > _MAX_CHUNK:
            raise CarrierCorrupt(f"PNG chunk {ctype!r} at {pos} claims {length} bytes (limit 2^31-1)")
        if pos + 12 + length > n:
            raise CarrierCorrupt(f"PNG chunk {ctype!r} at {pos} is truncated")
        budget.tick("PNG chunks")
        yield ctype, pos, length
        pos += 12 + length
        if ctype == b"IEND":
            return


def chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def _inflate(raw: bytes, cap: int) -> bytes:
    d = zlib.decompressobj()
    out = d.decompress(raw, cap + 1)
    if len(out) > cap:
        raise CarrierTooLarge("compressed PNG text chunk inflates beyond the cap (decompression bomb)")
    return out


def _text(ctype: bytes, body: bytes, cap: int) -> tuple[bytes, bytes]:
    """(keyword, text bytes) of tEXt/zTXt/iTXt."""
    key, _, rest = body.partition(b"\x00")
    if ctype == b"tEXt":
        return key, rest
    if ctype == b"zTXt":
        return key, _inflate(rest[1:], cap)
    comp_flag, rest = rest[:1], rest[2:]
    _lang, _, rest = rest.partition(b"\x00")
    _tkey, _, text = rest.partition(b"\x00")
    return key, _inflate(text, cap) if comp_flag == b"\x01" else text


class PngCarrier(EditCarrier):
    format_id = "png"
    extensions = (".png", ".apng")
    mimetypes = ("image/png", "image/apng")

    def sniff(self, prefix: bytes) -> bool | str:
        return prefix[:8] == SIG

    def _texts(self, data: Buffer) -> tuple[tuple[bytes, int, int], list[tuple[bytes, int, int, bytes, bytes]]]:
        """(first chunk, label-bearing text chunks). Only chunks whose keyword names XMP or AIGC are
        copied, each capped before the copy; other text chunks (comments) are skipped unread."""
        out = []
        first: tuple[bytes, int, int] | None = None
        for ctype, off, ln in chunks(data, Budget(self.policy)):
            first = first or (ctype, off, ln)
            if ctype not in (b"tEXt", b"zTXt", b"iTXt"):
                continue
            key = bytes(data[off + 8: off + 8 + min(ln, 80)]).partition(b"\x00")[0]
            if key != XMP_KEY and b"AIGC" not in key.upper():
                continue
            limit = self.policy.max_xmp_bytes if key == XMP_KEY else self.policy.max_label_bytes * 8
            body = take(data, off + 8, ln, limit, f"PNG {ctype.decode()} chunk {key.decode('latin-1')!r}")
            key, text = _text(ctype, body, limit)
            out.append((ctype, off, ln, key, text))
        if first is None:  # pragma: no cover - chunks() raises before yielding nothing
            raise CarrierCorrupt("PNG without chunks")
        return first, out

    def read(self, data: Buffer) -> list[FoundLabel]:
        found: list[FoundLabel] = []
        for ctype, _off, _ln, key, text in self._texts(data)[1]:
            if key == XMP_KEY:
                found += labels_from_xmp(self.format_id, ctype.decode(), text, self.policy)
            elif b"AIGC" in key.upper():
                found.append(FoundLabel.of(self.format_id, f"{ctype.decode()}:{key.decode('latin-1')}",
                                           text, self.policy))
        return found

    def plan(self, data: Buffer, payload: str) -> list[Edit]:
        ihdr, texts = self._texts(data)
        xmps = [t for t in texts if t[3] == XMP_KEY]
        old = xmps[0][4].decode("utf-8", "replace") if xmps else None
        packet = xmp.merge_packet(old, payload).encode("utf-8")
        new = chunk(b"iTXt", XMP_KEY + b"\x00\x00\x00\x00\x00" + packet)
        if self.policy.png_text_chunk:
            new += chunk(b"tEXt", b"AIGC\x00" + payload.encode("latin-1", "replace"))
        edits = [Edit(off, ln + 12, b"") for ctype, off, ln, key, _ in texts
                 if key == XMP_KEY or key.upper() == b"AIGC"]
        if xmps:
            first = xmps[0]
            edits = [e for e in edits if e.offset != first[1]]
            edits.append(Edit(first[1], first[2] + 12, new))
        else:
            if ihdr[0] != b"IHDR":
                raise CarrierCorrupt("PNG does not start with IHDR")
            edits.append(Edit(ihdr[1] + 12 + ihdr[2], 0, new))
        return edits
