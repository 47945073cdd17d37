"""MP4 / MOV / M4V / M4A: ``moov/udta/meta`` (handler ``mdta``) with key ``AIGC`` in ``keys`` and the
JSON as a UTF-8 ``data`` atom in the matching ``ilst`` item — what ``ffmpeg -movflags
use_metadata_tags`` writes and ffprobe reads (TC260 guides 20257A video, 202510A audio).

Only ``moov`` is rebuilt (capped in size); media data is streamed unchanged. If ``moov`` sits before
the media data its growth is absorbed by a following ``free`` box or the ``stco``/``co64`` chunk
offsets are shifted. Also read: ``moov/meta`` (QuickTime), iTunes free-form ``----:…:AIGC``.
"""

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
from hegui.labeling.carriers._isobmff import Box, box, iter_boxes, meta_children_start, top_level
from hegui.labeling.carriers._util import Budget, take

_HEIF_BRANDS = {b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis", b"heim", b"heis", b"hevc", b"hevx"}
_UTF8 = 1


def _key_list(data: Buffer, keys: Box) -> list[bytes]:
    (count,) = struct.unpack_from(">I", data, keys.body + 4)
    out, pos = [], keys.body + 8
    for _ in range(min(count, 100000)):
        if pos + 8 > keys.end:
            raise CarrierCorrupt("keys box truncated")
        size, _ns = struct.unpack_from(">I4s", data, pos)
        if size < 8 or pos + size > keys.end:
            raise CarrierCorrupt("keys entry truncated")
        out.append(take(data, pos + 8, size - 8, 4096, "MP4 metadata key name"))
        pos += size
    return out


def _data_values(data: Buffer, item: Box, limit: int) -> list[bytes]:
    """Payloads of the ``data`` atoms of one item, each refused before the copy when over ``limit``."""
    return [take(data, b.body + 8, b.end - b.body - 8, limit, "MP4 AIGC data atom")
            for b in iter_boxes(data, item.body, item.end) if b.type == b"data"]


class Mp4Carrier(EditCarrier):
    format_id = "mp4"
    extensions = (".mp4", ".m4v", ".mov", ".m4a", ".m4b", ".3gp", ".qt")
    mimetypes = ("video/mp4", "video/quicktime", "audio/mp4", "audio/x-m4a", "video/x-m4v")

    def sniff(self, prefix: bytes) -> bool | str:
        if prefix[4:8] == b"ftyp":
            return bytes(prefix[8:12]) not in _HEIF_BRANDS
        return prefix[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip")

    def _moov(self, data: Buffer) -> tuple[list[Box], Box]:
        tops = top_level(data, Budget(self.policy))
        moovs = [b for b in tops if b.type == b"moov"]
        if not moovs:
            if any(b.type == b"mdat" for b in tops):
                raise CarrierCorrupt("no moov box (unfinished recording?)")
            raise CarrierMismatch("no moov box")
        if moovs[0].size > self.policy.max_meta_box_bytes:
            raise CarrierTooLarge(f"moov of {moovs[0].size} bytes exceeds the cap")
        return tops, moovs[0]

    def read(self, data: Buffer) -> list[FoundLabel]:
        _tops, moov = self._moov(data)
        found: list[FoundLabel] = []
        for parent, where in self._meta_parents(data, moov):
            for meta in (b for b in iter_boxes(data, parent.body, parent.end) if b.type == b"meta"):
                found += self._read_meta(data, meta, where)
        return found

    def _meta_parents(self, data: Buffer, moov: Box) -> list[tuple[Box, str]]:
        out = [(moov, "moov")]
        out += [(b, "moov/udta") for b in iter_boxes(data, moov.body, moov.end) if b.type == b"udta"]
        return out

    def _read_meta(self, data: Buffer, meta: Box, where: str) -> list[FoundLabel]:
        kids = list(iter_boxes(data, meta_children_start(data, meta), meta.end))
        keys = next((k for k in kids if k.type == b"keys"), None)
        ilst = next((k for k in kids if k.type == b"ilst"), None)
        if ilst is None:
            return []
        names = _key_list(data, keys) if keys else []
        out = []
        for item in iter_boxes(data, ilst.body, ilst.end):
            name = b""
            if item.type == b"----":
                sub = {b.type: b for b in iter_boxes(data, item.body, item.end)}
                if b"name" in sub:
                    name = take(data, sub[b"name"].body + 4, sub[b"name"].end - sub[b"name"].body - 4, 4096,
                                "MP4 free-form item name")
            elif names:
                (idx,) = struct.unpack(">I", item.type)
                if 1 <= idx <= len(names):
                    name = names[idx - 1]
            if name.split(b".")[-1].upper() == b"AIGC":
                for v in _data_values(data, item, self.policy.max_label_bytes * 8):
                    out.append(FoundLabel.of(self.format_id, f"{where}/meta/ilst:{name.decode('latin-1')}", v,
                                             self.policy))
        return out

    # ---- writing
    def plan(self, data: Buffer, payload: str) -> list[Edit]:
        self.read(data)  # an oversized existing label is refused here, before moov is copied
        tops, moov = self._moov(data)
        kids = list(iter_boxes(data, moov.body, moov.end))
        udtas = [k for k in kids if k.type == b"udta"]
        parts: list[bytes] = []
        for k in kids:
            raw = bytes(data[k.offset:k.end])
            if k.type == b"meta":
                raw = self._strip_meta(data, k)
            if k.type == b"udta" and k is udtas[0]:
                raw = self._new_udta(data, k, payload)
            parts.append(raw)
        if not udtas:
            parts.append(box(b"udta", self._mdta_meta([], [], payload)))
        new_moov = box(b"moov", b"".join(parts))
        delta = len(new_moov) - moov.size
        edits = [Edit(moov.offset, moov.size, new_moov)]
        after = [b for b in tops if b.offset > moov.offset]
        media_after = any(b.type in (b"mdat", b"moof") for b in after)
        if delta and media_after:
            nxt = after[0]
            if nxt.type in (b"free", b"skip") and (nxt.size - delta == 0 or nxt.size - delta >= 8):
                rest = nxt.size - delta
                edits.append(Edit(nxt.offset, nxt.size, box(b"free", b"\x00" * (rest - 8)) if rest else b""))
            elif any(b.type == b"moof" for b in after):
                raise CarrierUnsupported("fragmented MP4 with moov before the fragments and no free space")
            else:
                new_moov = self._shift_offsets(new_moov, moov.offset, delta)
                edits[0] = Edit(moov.offset, moov.size, new_moov)
        return edits

    def _strip_meta(self, data: Buffer, meta: Box) -> bytes:
        """Drop AIGC from a QuickTime ``moov/meta`` mdta list (one label per file)."""
        return self._rebuild_meta(data, meta, None) or b""

    def _new_udta(self, data: Buffer, udta: Box, payload: str) -> bytes:
        body, done = [], False
        for k in iter_boxes(data, udta.body, udta.end):
            if k.type == b"meta" and not done and self._handler(data, k) == b"mdta":
                body.append(self._rebuild_meta(data, k, payload))
                done = True
            elif k.type == b"meta":
                body.append(self._rebuild_meta(data, k, None))
            else:
                body.append(bytes(data[k.offset:k.end]))
        if not done:
            body.append(self._mdta_meta([], [], payload))
        return box(b"udta", b"".join(body))

    @staticmethod
    def _handler(data: Buffer, meta: Box) -> bytes:
        for k in iter_boxes(data, meta_children_start(data, meta), meta.end):
            if k.type == b"hdlr":
                return bytes(data[k.body + 8:k.body + 12])
        return b""

    def _rebuild_meta(self, data: Buffer, meta: Box, payload: str | None) -> bytes:
        start = meta_children_start(data, meta)
        kids = list(iter_boxes(data, start, meta.end))
        keys = next((k for k in kids if k.type == b"keys"), None)
        ilst = next((k for k in kids if k.type == b"ilst"), None)
        names = _key_list(data, keys) if keys else []
        items: list[tuple[int, bytes]] = []
        if ilst:
            for it in iter_boxes(data, ilst.body, ilst.end):
                items.append((struct.unpack(">I", it.type)[0] if names else -1, bytes(data[it.offset:it.end])))
        if not names and payload is None:
            return self._strip_freeform(data, meta, ilst)
        keep = [i for i, n in enumerate(names, 1) if n.split(b".")[-1].upper() != b"AIGC"]
        renum = {old: new for new, old in enumerate(keep, 1)}
        new_names = [names[i - 1] for i in keep]
        new_items = [struct.pack(">I", len(raw)) + struct.pack(">I", renum[idx]) + raw[8:]
                     for idx, raw in items if idx in renum]
        if len(new_names) == len(names) and payload is None:
            return bytes(data[meta.offset:meta.end])
        others = [bytes(data[k.offset:k.end]) for k in kids if k.type not in (b"keys", b"ilst")]
        if payload is not None:
            new_names.append(b"AIGC")
            new_items.append(self._item(len(new_names), payload))
        head = bytes(data[meta.body:start])
        return box(b"meta", head + b"".join(others) + self._keys(new_names) + box(b"ilst", b"".join(new_items)))

    def _strip_freeform(self, data: Buffer, meta: Box, ilst: Box | None) -> bytes:
        """Drop iTunes free-form ``----:…:AIGC`` items from an ``mdir`` list (one label per file)."""
        raw = bytes(data[meta.offset:meta.end])
        if ilst is None:
            return raw
        items, dropped = [], False
        for it in iter_boxes(data, ilst.body, ilst.end):
            if it.type == b"----":
                sub = {b.type: b for b in iter_boxes(data, it.body, it.end)}
                name = take(data, sub[b"name"].body + 4, sub[b"name"].end - sub[b"name"].body - 4, 4096,
                            "MP4 free-form item name") if b"name" in sub else b""
                if name.upper() == b"AIGC":
                    dropped = True
                    continue
            items.append(bytes(data[it.offset:it.end]))
        if not dropped:
            return raw
        start = meta_children_start(data, meta)
        body = bytes(data[meta.body:start])
        for k in iter_boxes(data, start, meta.end):
            body += box(b"ilst", b"".join(items)) if k.type == b"ilst" else bytes(data[k.offset:k.end])
        return box(b"meta", body)

    @staticmethod
    def _keys(names: list[bytes]) -> bytes:
        return box(b"keys", struct.pack(">II", 0, len(names)) + b"".join(
            struct.pack(">I4s", 8 + len(n), b"mdta") + n for n in names))

    @staticmethod
    def _item(index: int, payload: str) -> bytes:
        return box(struct.pack(">I", index), box(b"data", struct.pack(">II", _UTF8, 0) + payload.encode("utf-8")))

    def _mdta_meta(self, names: list[bytes], items: list[bytes], payload: str) -> bytes:
        hdlr = box(b"hdlr", struct.pack(">I4s4s12s", 0, b"\x00" * 4, b"mdta", b"\x00" * 12) + b"\x00")
        names = names + [b"AIGC"]
        items = items + [self._item(len(names), payload)]
        return box(b"meta", b"\x00" * 4 + hdlr + self._keys(names) + box(b"ilst", b"".join(items)))

    @staticmethod
    def _shift_offsets(moov: bytes, moov_offset: int, delta: int) -> bytes:
        """Add ``delta`` to every chunk offset that points past the old moov (stco/co64)."""
        buf = bytearray(moov)

        def walk(start: int, end: int) -> None:
            for b in iter_boxes(buf, start, end):
                if b.type in (b"trak", b"mdia", b"minf", b"stbl"):
                    walk(b.body, b.end)
                elif b.type in (b"stco", b"co64"):
                    (n,) = struct.unpack_from(">I", buf, b.body + 4)
                    wide = b.type == b"co64"
                    fmt, step = (">Q", 8) if wide else (">I", 4)
                    if b.body + 8 + n * step > b.end:
                        raise CarrierCorrupt("chunk offset table truncated")
                    for i in range(n):
                        p = b.body + 8 + i * step
                        (v,) = struct.unpack_from(fmt, buf, p)
                        if v > moov_offset:
                            v += delta
                            if not wide and v > 0xFFFFFFFF:
                                raise CarrierUnsupported("chunk offsets overflow 32 bits after growing moov")
                            struct.pack_into(fmt, buf, p, v)

        first = iter_boxes(buf, 0, len(buf)).__next__()
        walk(first.body, first.end)
        return bytes(buf)
