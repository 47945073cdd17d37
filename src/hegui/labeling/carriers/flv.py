"""FLV: string property ``AIGC`` in the AMF0 ``onMetaData`` script tag (TC260 guide 20257A; what
``ffmpeg -metadata AIGC=…`` writes and ffprobe reads). Only the script tag is rewritten; audio and
video tags are copied; ``keyframes.filepositions`` (absolute offsets) are shifted by the growth."""

from __future__ import annotations

import struct

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
from hegui.labeling.carriers._util import Budget

_MAX_DEPTH = 32


def _skip(d: Buffer, p: int, end: int, depth: int = 0, budget: Budget | None = None) -> int:
    """End offset of the AMF0 value at ``p``."""
    budget = budget or Budget(1 << 20)
    budget.tick("AMF0 values")
    if depth > _MAX_DEPTH or p >= end:
        raise CarrierCorrupt("AMF0 value truncated or nested too deep")
    t = d[p]
    if t == 0x00:
        return p + 9
    if t == 0x01:
        return p + 2
    if t == 0x02:
        return p + 3 + struct.unpack_from(">H", d, p + 1)[0]
    if t == 0x0C:
        return p + 5 + struct.unpack_from(">I", d, p + 1)[0]
    if t in (0x05, 0x06, 0x0D):
        return p + 1
    if t == 0x0B:
        return p + 11
    if t == 0x07:
        return p + 3
    if t in (0x03, 0x08):
        q = p + (5 if t == 0x08 else 1)
        for _k, _ks, _vs, ve in _props(d, q, end, depth + 1, budget):
            q = ve
        return q + 3  # 00 00 09
    if t == 0x0A:
        n = struct.unpack_from(">I", d, p + 1)[0]
        q = p + 5
        for _ in range(min(n, 1 << 20)):
            q = _skip(d, q, end, depth + 1, budget)
        return q
    raise CarrierUnsupported(f"AMF0 type 0x{t:02X}")


def _props(d: Buffer, p: int, end: int, depth: int = 0,
           budget: Budget | None = None) -> list[tuple[bytes, int, int, int]]:
    """(key, key_start, value_start, value_end) of an object/ECMA body up to its end marker."""
    budget = budget or Budget(1 << 20)
    out: list[tuple[bytes, int, int, int]] = []
    while True:
        if p + 3 > end:
            raise CarrierCorrupt("AMF0 object without end marker")
        (klen,) = struct.unpack_from(">H", d, p)
        if klen == 0 and d[p + 2] == 0x09:
            return out
        key = bytes(d[p + 2:p + 2 + klen])
        vs = p + 2 + klen
        ve = _skip(d, vs, end, depth, budget)
        if ve > end:
            raise CarrierCorrupt("AMF0 value beyond its tag")
        out.append((key, p, vs, ve))
        p = ve


def _amf_string(s: bytes) -> bytes:
    return (b"\x02" + struct.pack(">H", len(s)) if len(s) < 0xFFFF else b"\x0c" + struct.pack(">I", len(s))) + s


class FlvCarrier(EditCarrier):
    format_id = "flv"
    extensions = (".flv",)
    mimetypes = ("video/x-flv",)

    def sniff(self, prefix: bytes) -> bool | str:
        return prefix[:3] == b"FLV" and prefix[3:4] == b"\x01"

    def _meta(self, d: Buffer) -> tuple[int, int, int, int]:
        """(tag_offset, data_offset, data_size, body_start_of_mapping) of the onMetaData tag."""
        if bytes(d[:3]) != b"FLV":
            raise CarrierMismatch("not FLV")
        if len(d) < 13:
            raise CarrierCorrupt("FLV header truncated")
        p = struct.unpack_from(">I", d, 5)[0] + 4
        for _ in range(8):  # onMetaData is the first script tag in practice
            if p + 11 > len(d):
                break
            ttype = d[p] & 0x1F
            size = int.from_bytes(bytes(d[p + 1:p + 4]), "big")
            if p + 11 + size > len(d):
                raise CarrierCorrupt("FLV tag truncated")
            if size > self.policy.max_meta_box_bytes:
                raise CarrierTooLarge("FLV script tag too large")
            ds = p + 11
            if ttype == 18 and bytes(d[ds:ds + 13]) == b"\x02\x00\x0aonMetaData":
                kind = d[ds + 13]
                if kind not in (0x03, 0x08):
                    raise CarrierUnsupported("onMetaData is not an object")
                return p, ds, size, ds + 14 + (4 if kind == 0x08 else 0)
            p = ds + size + 4
        raise CarrierUnsupported("FLV without an onMetaData script tag")

    def read(self, d: Buffer) -> list[FoundLabel]:
        try:
            _t, ds, size, body = self._meta(d)
        except CarrierUnsupported:
            return []
        out = []
        for key, _ks, vs, ve in _props(d, body, ds + size, 0, Budget(self.policy)):
            if key.upper() == b"AIGC" and d[vs] in (0x02, 0x0C):
                raw = bytes(d[vs + (3 if d[vs] == 0x02 else 5):ve])
                out.append(FoundLabel.of(self.format_id, "onMetaData.AIGC", raw, self.policy))
        return out

    def plan(self, d: Buffer, payload: str) -> list[Edit]:
        tag, ds, size, body = self._meta(d)
        props = _props(d, body, ds + size, 0, Budget(self.policy))
        ecma = d[ds + 13] == 0x08
        kept = [(k, ks, ve) for k, ks, _vs, ve in props if k.upper() != b"AIGC"]
        ours = struct.pack(">H", 4) + b"AIGC" + _amf_string(payload.encode("utf-8"))
        parts = [bytes(d[ks:ve]) for _k, ks, ve in kept]
        new_body = b"".join(parts) + ours
        head = bytes(d[ds:ds + 14]) + (struct.pack(">I", len(kept) + 1) if ecma else b"")
        tail_start = (props[-1][3] if props else body)
        new_data = head + new_body + bytes(d[tail_start:ds + size])
        delta = len(new_data) - size
        new_data = self._shift_filepositions(new_data, delta, tag)
        tag_head = bytes(d[tag:tag + 1]) + len(new_data).to_bytes(3, "big") + bytes(d[tag + 4:tag + 11])
        prev = struct.pack(">I", 11 + len(new_data))
        return [Edit(tag, 11 + size + 4, tag_head + new_data + prev)]

    @staticmethod
    def _shift_filepositions(data: bytes, delta: int, tag_offset: int) -> bytes:
        if not delta or b"filepositions" not in data:
            return data
        buf = bytearray(data)
        body = 14 + (4 if buf[13] == 0x08 else 0)
        for key, _ks, vs, ve in _props(buf, body, len(buf)):
            if key == b"keyframes" and buf[vs] == 0x03:
                for k2, _k2s, v2s, _v2e in _props(buf, vs + 1, ve):
                    if k2 == b"filepositions" and buf[v2s] == 0x0A:
                        n = struct.unpack_from(">I", buf, v2s + 1)[0]
                        q = v2s + 5
                        for _ in range(n):
                            if buf[q] == 0x00:
                                (v,) = struct.unpack_from(">d", buf, q + 1)
                                if v > tag_offset:
                                    struct.pack_into(">d", buf, q + 1, v + delta)
                            q = _skip(buf, q, len(buf))
        return bytes(buf)
