"""Matroska / WebM: ``Segment/Tags/Tag/SimpleTag`` with ``TagName`` = ``AIGC`` and ``TagString`` =
the JSON (TC260 guide 20257A). Clusters are never touched: the new ``Tags`` goes where the old one
was (padded with ``Void``), or into the ``Void`` that muxers reserve before the first Cluster; the
``SeekHead`` entry is patched in place. No offset of any Cluster or Cue changes.
"""

from __future__ import annotations

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
from hegui.labeling.carriers._util import Budget, cap, take

EBML, SEGMENT, SEEKHEAD, SEEK, SEEKID, SEEKPOS = 0x1A45DFA3, 0x18538067, 0x114D9B74, 0x4DBB, 0x53AB, 0x53AC
VOID, TAGS, TAG, TARGETS, SIMPLETAG, TAGNAME, TAGSTRING, CLUSTER = (0xEC, 0x1254C367, 0x7373, 0x63C0, 0x67C8,
                                                                    0x45A3, 0x4487, 0x1F43B675)
_UNKNOWN = -1
_MAX_DEPTH = 16  # SimpleTag nesting


def read_id(d: Buffer, p: int) -> tuple[int, int]:
    if p >= len(d):
        raise CarrierCorrupt("EBML ends inside an element ID")
    first = d[p]
    length = next((i + 1 for i in range(4) if first & (0x80 >> i)), 0)
    if not length or p + length > len(d):
        raise CarrierCorrupt(f"bad EBML ID at {p}")
    return int.from_bytes(bytes(d[p:p + length]), "big"), length


def read_size(d: Buffer, p: int) -> tuple[int, int]:
    if p >= len(d):
        raise CarrierCorrupt("EBML ends inside a size")
    first = d[p]
    length = next((i + 1 for i in range(8) if first & (0x80 >> i)), 0)
    if not length or p + length > len(d):
        raise CarrierCorrupt(f"bad EBML size at {p}")
    v = int.from_bytes(bytes(d[p:p + length]), "big") & ((1 << (7 * length)) - 1)
    return (_UNKNOWN if v == (1 << (7 * length)) - 1 else v), length


def elements(d: Buffer, start: int, end: int, budget: Budget | None = None) -> list[tuple[int, int, int, int]]:
    """(id, offset, header_len, data_len) of children; stops at an unknown-size element."""
    budget = budget or Budget(1 << 20)
    out, p = [], start
    while p < end:
        budget.tick("EBML elements")
        eid, il = read_id(d, p)
        size, sl = read_size(d, p + il)
        if size == _UNKNOWN:
            out.append((eid, p, il + sl, _UNKNOWN))
            break
        if p + il + sl + size > end:
            raise CarrierCorrupt(f"EBML element 0x{eid:X} at {p} is truncated")
        out.append((eid, p, il + sl, size))
        p += il + sl + size
    return out


def enc_size(n: int, width: int = 0) -> bytes:
    width = width or next(w for w in range(1, 9) if n < (1 << (7 * w)) - 1)
    return ((1 << (7 * width)) | n).to_bytes(width, "big")


def el(eid: int, body: bytes) -> bytes:
    return eid.to_bytes((eid.bit_length() + 7) // 8, "big") + enc_size(len(body)) + body


def void(n: int) -> bytes:
    if n < 2:
        raise ValueError("void needs 2 bytes")
    return b"\xec" + (enc_size(n - 2, 1) + b"\x00" * (n - 2) if n - 2 < 127 else enc_size(n - 9, 8) + b"\x00" * (n - 9))


class MkvCarrier(EditCarrier):
    format_id = "mkv"
    extensions = (".mkv", ".webm", ".mka", ".mk3d")
    mimetypes = ("video/x-matroska", "video/webm", "audio/webm", "audio/x-matroska")

    def sniff(self, prefix: bytes) -> bool | str:
        return prefix[:4] == b"\x1a\x45\xdf\xa3"

    def _segment(self, d: Buffer) -> tuple[int, int, int, list[tuple[int, int, int, int]]]:
        if bytes(d[:4]) != b"\x1a\x45\xdf\xa3":
            raise CarrierMismatch("not EBML")
        budget = Budget(self.policy)
        top = elements(d, 0, len(d), budget)
        seg = next((e for e in top if e[0] == SEGMENT), None)
        if seg is None:
            raise CarrierCorrupt("no Segment")
        data_start = seg[1] + seg[2]
        end = len(d) if seg[3] == _UNKNOWN else data_start + seg[3]
        kids = elements(d, data_start, end, budget)
        for k in kids:  # metadata elements are walked and copied when rewritten: cap them first
            if k[0] in (TAGS, SEEKHEAD):
                cap(k[3], self.policy.max_meta_box_bytes, "Matroska Tags/SeekHead element")
        return seg[1], data_start, end, kids

    def _simpletags(self, d: Buffer, start: int, end: int, out: list[tuple[str, bytes]], depth: int = 0) -> None:
        if depth > _MAX_DEPTH:
            raise CarrierCorrupt("SimpleTags nested too deep")
        for eid, off, hl, size in elements(d, start, end):
            if eid == SIMPLETAG:
                kids = {k[0]: k for k in elements(d, off + hl, off + hl + size)}
                if TAGNAME in kids and TAGSTRING in kids:
                    n, s = kids[TAGNAME], kids[TAGSTRING]
                    if s[3] > self.policy.max_label_bytes * 8:
                        raise CarrierTooLarge("TagString too large")
                    out.append((take(d, n[1] + n[2], n[3], 4096, "Matroska TagName").decode("utf-8", "replace"),
                                bytes(d[s[1] + s[2]: s[1] + s[2] + s[3]])))
                self._simpletags(d, off + hl, off + hl + size, out, depth + 1)
            elif eid == TAG:
                self._simpletags(d, off + hl, off + hl + size, out, depth + 1)

    def _tags_elements(self, d: Buffer) -> tuple[int, list[tuple[int, int, int, int]], list]:
        seg_off, ds, end, kids = self._segment(d)
        tags = [k for k in kids if k[0] == TAGS]
        seen = {k[1] for k in tags}
        for sh in (k for k in kids if k[0] == SEEKHEAD):  # Tags after an unknown-size cluster
            for sid, spos, _ in self._seeks(d, sh):
                if sid == TAGS and ds + spos not in seen and ds + spos < len(d):
                    try:
                        e = elements(d, ds + spos, min(len(d), end))[0]
                    except CarrierCorrupt:
                        continue
                    if e[0] == TAGS:
                        cap(e[3], self.policy.max_meta_box_bytes, "Matroska Tags element")
                        tags.append(e)
                        seen.add(e[1])
        return ds, tags, kids

    def _seeks(self, d: Buffer, sh: tuple[int, int, int, int]) -> list[tuple[int, int, tuple[int, int, int, int]]]:
        out = []
        for eid, off, hl, size in elements(d, sh[1] + sh[2], sh[1] + sh[2] + sh[3]):
            if eid != SEEK:
                continue
            kids = {k[0]: k for k in elements(d, off + hl, off + hl + size)}
            if SEEKID in kids and SEEKPOS in kids:
                i, p = kids[SEEKID], kids[SEEKPOS]
                out.append((int.from_bytes(bytes(d[i[1] + i[2]: i[1] + i[2] + i[3]]), "big"),
                            int.from_bytes(bytes(d[p[1] + p[2]: p[1] + p[2] + p[3]]), "big"), p))
        return out

    def read(self, d: Buffer) -> list[FoundLabel]:
        _ds, tags, _ = self._tags_elements(d)
        found: list[FoundLabel] = []
        for t in tags:
            pairs: list[tuple[str, bytes]] = []
            self._simpletags(d, t[1] + t[2], t[1] + t[2] + t[3], pairs)
            found += [FoundLabel.of(self.format_id, "Segment/Tags/SimpleTag:" + n, v, self.policy)
                      for n, v in pairs if n.upper() == "AIGC"]
        return found

    def _tag_keeps(self, d: Buffer, tag: tuple[int, int, int, int]) -> bytes | None:
        """The Tag element minus its AIGC SimpleTags (None if nothing but Targets remains)."""
        body, kept = [], False
        for eid, off, hl, size in elements(d, tag[1] + tag[2], tag[1] + tag[2] + tag[3]):
            raw = bytes(d[off: off + hl + size])
            if eid == SIMPLETAG:
                pairs: list[tuple[str, bytes]] = []
                self._simpletags(d, off, off + hl + size, pairs)
                if pairs and pairs[0][0].upper() == "AIGC":
                    continue
                kept = True
            body.append(raw)
        return el(TAG, b"".join(body)) if kept else None

    def plan(self, d: Buffer, payload: str) -> list[Edit]:
        ds, tags, kids = self._tags_elements(d)
        old = tags[0] if tags else None
        keep: list[bytes] = []
        for t in tags:
            for eid, off, hl, size in elements(d, t[1] + t[2], t[1] + t[2] + t[3]):
                if eid == TAG:
                    k = self._tag_keeps(d, (eid, off, hl, size))
                    if k:
                        keep.append(k)
        ours = el(TAG, el(TARGETS, b"") + el(SIMPLETAG, el(TAGNAME, b"AIGC") + el(TAGSTRING, payload.encode())))
        new_tags = el(TAGS, b"".join(keep) + ours)
        edits = [Edit(t[1], t[2] + t[3], void(t[2] + t[3])) for t in tags[1:]]
        # a. in place of the old Tags (+ following Voids)
        if old is not None:
            room = old[2] + old[3]
            idx = next(i for i, k in enumerate(kids) if k[1] == old[1]) if old in kids else -1
            j = idx + 1
            while idx >= 0 and j < len(kids) and kids[j][0] == VOID and kids[j][3] != _UNKNOWN:
                room += kids[j][2] + kids[j][3]
                j += 1
            if len(new_tags) == room or len(new_tags) + 2 <= room:
                pad = room - len(new_tags)
                return edits + [Edit(old[1], room, new_tags + (void(pad) if pad else b""))]
        # b. into a Void before the first Cluster
        for eid, off, hl, size in kids:
            if eid == CLUSTER:
                break
            if eid == VOID and size != _UNKNOWN:
                room = hl + size
                if len(new_tags) == room or len(new_tags) + 2 <= room:
                    pad = room - len(new_tags)
                    edits.append(Edit(off, room, new_tags + (void(pad) if pad else b"")))
                    if old is not None:
                        edits.append(Edit(old[1], old[2] + old[3], void(old[2] + old[3])))
                        edits += self._patch_seek(d, kids, ds, off - ds)
                    return edits
        # c. at the end of the Segment, with the SeekHead rebuilt inside its own room (+ Voids)
        return edits + self._append_at_end(d, kids, ds, old, new_tags)

    def _append_at_end(self, d: Buffer, kids: list, ds: int, old: tuple | None, new_tags: bytes) -> list[Edit]:
        seg_off, _ds, end, _ = self._segment(d)
        heads = [i for i, k in enumerate(kids) if k[0] == SEEKHEAD]
        if not heads or kids[-1][3] == _UNKNOWN:
            raise CarrierUnsupported("no room for a Tags element without moving Clusters and no SeekHead to "
                                     "point at one appended at the end")
        i = heads[0]
        sh = kids[i]
        room = sh[2] + sh[3]
        j = i + 1
        while j < len(kids) and kids[j][0] == VOID and kids[j][3] != _UNKNOWN:
            room += kids[j][2] + kids[j][3]
            j += 1
        new_pos = end - ds
        seeks = [el(SEEK, el(SEEKID, sid.to_bytes((sid.bit_length() + 7) // 8, "big"))
                     + el(SEEKPOS, pos.to_bytes(8, "big")))
                 for sid, pos, _ in self._seeks(d, sh) if sid != TAGS]
        seeks.append(el(SEEK, el(SEEKID, TAGS.to_bytes(4, "big")) + el(SEEKPOS, new_pos.to_bytes(8, "big"))))
        new_sh = el(SEEKHEAD, b"".join(seeks))
        if not (len(new_sh) == room or len(new_sh) + 2 <= room):
            raise CarrierUnsupported("no room to extend the SeekHead for a relocated Tags element")
        edits = [Edit(sh[1], room, new_sh + (void(room - len(new_sh)) if room > len(new_sh) else b""))]
        if old is not None:
            edits.append(Edit(old[1], old[2] + old[3], void(old[2] + old[3])))
        edits.append(Edit(end, 0, new_tags))
        _sid, il = read_id(d, seg_off)
        size, sl = read_size(d, seg_off + il)
        if size != _UNKNOWN:
            edits.append(Edit(seg_off + il, sl, enc_size(size + len(new_tags), sl)))
        return edits

    def _patch_seek(self, d: Buffer, kids: list, ds: int, new_pos: int) -> list[Edit]:
        out = []
        for sh in (k for k in kids if k[0] == SEEKHEAD):
            for sid, _pos, p in self._seeks(d, sh):
                if sid == TAGS:
                    width = p[3]
                    if new_pos >= 1 << (8 * width):
                        raise CarrierUnsupported("SeekHead position field too narrow")
                    out.append(Edit(p[1] + p[2], width, new_pos.to_bytes(width, "big")))
        return out
