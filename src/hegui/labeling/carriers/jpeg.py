"""JPEG: XMP packet in an APP1 segment (``http://ns.adobe.com/xap/1.0/\\0``), TC260 guide 20259A.

Vendor practice (Baidu, Zhipu, Honor) puts wrapped JSON in EXIF UserComment/ImageDescription: read,
never written. Only the marker segments before SOS are touched; entropy-coded data is copied as is.
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
from hegui.labeling.carriers._util import Budget, labels_from_xmp

XMP_SIG = b"http://ns.adobe.com/xap/1.0/\x00"
EXIF_SIG = b"Exif\x00\x00"
_MAX_APP1 = 65533 - len(XMP_SIG)
_MAX_SEGMENTS = 1 << 16  # marker segments (and fill bytes) before SOS; real files have dozens


def segments(data: Buffer, budget: Budget | None = None) -> list[tuple[int, int, int]]:
    """(marker, offset, total_length) of marker segments up to SOS (at most ``_MAX_SEGMENTS``)."""
    if bytes(data[:2]) != b"\xff\xd8":
        raise CarrierMismatch("not JPEG")
    budget = budget or Budget(_MAX_SEGMENTS)
    out: list[tuple[int, int, int]] = []
    pos = 2
    n = len(data)
    while True:
        budget.tick("JPEG marker segments")
        if pos + 4 > n:
            raise CarrierCorrupt("JPEG ends inside the marker segments")
        if data[pos] != 0xFF:
            raise CarrierCorrupt(f"bad JPEG marker at {pos}")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            out.append((marker, pos, 2))
            pos += 2
            continue
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if length < 2 or pos + 2 + length > n:
            raise CarrierCorrupt(f"JPEG segment 0x{marker:02X} at {pos} is truncated")
        out.append((marker, pos, 2 + length))
        if marker in (0xDA, 0xD9):
            return out
        pos += 2 + length


class JpegCarrier(EditCarrier):
    format_id = "jpeg"
    extensions = (".jpg", ".jpeg", ".jpe", ".jfif")
    mimetypes = ("image/jpeg",)

    def sniff(self, prefix: bytes) -> bool | str:
        return prefix[:3] == b"\xff\xd8\xff"

    def _budget(self) -> Budget:
        return Budget(min(self.policy.max_container_items, _MAX_SEGMENTS))

    def read(self, data: Buffer) -> list[FoundLabel]:
        found: list[FoundLabel] = []
        for marker, off, length in segments(data, self._budget()):
            body = bytes(data[off + 4: off + length])
            if marker == 0xE1 and body.startswith(XMP_SIG):
                found += labels_from_xmp(self.format_id, "APP1", body[len(XMP_SIG):], self.policy)
            elif marker == 0xE1 and body.startswith(EXIF_SIG):
                found += self._exif(body[len(EXIF_SIG):])
        return found

    def _exif(self, tiff: bytes) -> list[FoundLabel]:
        from PIL import Image  # only to parse EXIF, never pixels

        exif = Image.Exif()
        try:
            exif.load(tiff)
            sub = exif.get_ifd(0x8769)
        except Exception:  # noqa: BLE001 - foreign parser; unreadable EXIF is not a label
            return []
        out = []
        for tag, where, src in ((0x9286, "EXIF UserComment", sub), (0x010E, "EXIF ImageDescription", exif)):
            val = src.get(tag)
            if isinstance(val, bytes):
                val = val[8:] if val[:8] in (b"ASCII\x00\x00\x00", b"UNICODE\x00") else val
                val = val.decode("utf-8", "replace")
            if isinstance(val, str) and "AIGC" in val and val.lstrip().startswith(("{", '"')):
                out.append(FoundLabel.of(self.format_id, where, val.strip("\x00 "), self.policy))
        return out

    def plan(self, data: Buffer, payload: str) -> list[Edit]:
        segs = segments(data, self._budget())
        existing = [(o, ln) for m, o, ln in segs
                    if m == 0xE1 and bytes(data[o + 4:o + 4 + len(XMP_SIG)]) == XMP_SIG]
        old = bytes(data[existing[0][0] + 4 + len(XMP_SIG): existing[0][0] + existing[0][1]]).decode(
            "utf-8", "replace") if existing else None
        packet = xmp.merge_packet(old, payload).encode("utf-8")
        if len(packet) > _MAX_APP1:
            raise CarrierUnsupported("XMP packet too large for one APP1 segment (extended XMP not written)")
        seg = b"\xff\xe1" + struct.pack(">H", len(packet) + len(XMP_SIG) + 2) + XMP_SIG + packet
        extra = self._exif_edits(data, segs, payload)
        if existing:
            edits = [Edit(existing[0][0], existing[0][1], seg)]
            edits += [Edit(o, ln, b"") for o, ln in existing[1:]]
            return edits + extra
        insert_at = 2
        for m, o, ln in segs[1:]:
            if m in (0xE0, 0xE1):
                insert_at = o + ln
            else:
                break
        return [Edit(insert_at, 0, seg)] + extra

    def _exif_edits(self, data: Buffer, segs: list[tuple[int, int, int]], payload: str) -> list[Edit]:
        """A vendor label in EXIF (UserComment/ImageDescription) is updated to ours, so the file
        still holds one label (§6.1 c). EXIF without an AIGC value is never touched."""
        import json

        from PIL import Image

        for m, o, ln in segs:
            body = bytes(data[o + 4:o + ln])
            if m != 0xE1 or not body.startswith(EXIF_SIG) or b"AIGC" not in body:
                continue
            exif = Image.Exif()
            try:
                exif.load(body[len(EXIF_SIG):])
                sub = exif.get_ifd(0x8769)
            except Exception:  # noqa: BLE001 - unreadable EXIF is left alone
                return []
            wrapped = payload if payload.lstrip().startswith('{"AIGC"') else json.dumps(
                {"AIGC": json.loads(payload)}, ensure_ascii=False, separators=(",", ":"))
            changed = False
            uc = sub.get(0x9286)
            uc_text = (uc[8:] if isinstance(uc, bytes) else uc or "")
            uc_text = uc_text.decode("latin-1") if isinstance(uc_text, bytes) else uc_text
            if "AIGC" in uc_text and uc_text.lstrip("\x00 ").startswith(("{", '"')):
                sub[0x9286] = b"ASCII\x00\x00\x00" + wrapped.encode("utf-8")
                changed = True
            desc = exif.get(0x010E)
            if isinstance(desc, str) and "AIGC" in desc and desc.lstrip().startswith(("{", '"')):
                exif[0x010E] = wrapped
                changed = True
            if not changed:
                return []
            new = EXIF_SIG + exif.tobytes()
            if len(new) > 65533:
                raise CarrierUnsupported("EXIF too large after updating the vendor AIGC value")
            return [Edit(o, ln, b"\xff\xe1" + struct.pack(">H", len(new) + 2) + new)]
        return []
