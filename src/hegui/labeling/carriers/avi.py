"""AVI: sub-chunk ``AIGC`` inside the top-level ``LIST``/``INFO`` (TC260 guide 20257A; stock ffmpeg
cannot write it, ffprobe reads it). The ``movi`` list is never moved when a ``JUNK`` chunk next to
``INFO`` can absorb the growth (ffmpeg and most muxers reserve one); otherwise ``movi`` shifts, which
is safe for ``idx1`` (offsets relative to ``movi``) but refused for OpenDML (``indx``/``AVIX``)."""

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
from hegui.labeling.carriers._util import Budget, cap
from hegui.labeling.carriers.webp import riff_chunk


def _chunks(d: Buffer, start: int, end: int, budget: Budget | None = None) -> list[tuple[bytes, int, int, bytes]]:
    """(id, offset, data_len, list_type) of the chunks in [start, end)."""
    budget = budget or Budget(1 << 20)
    out, pos = [], start
    while pos + 8 <= end:
        budget.tick("AVI chunks")
        cid, ln = struct.unpack_from("<4sI", d, pos)
        if pos + 8 + ln > end:
            raise CarrierCorrupt(f"AVI chunk {cid!r} at {pos} is truncated")
        kind = bytes(d[pos + 8:pos + 12]) if cid in (b"LIST", b"RIFF") else b""
        out.append((cid, pos, ln, kind))
        pos += 8 + ln + (ln & 1)
    return out


def _junk(n: int) -> bytes:
    return b"JUNK" + struct.pack("<I", n - 8) + b"\0" * (n - 8)


class AviCarrier(EditCarrier):
    format_id = "avi"
    extensions = (".avi",)
    mimetypes = ("video/x-msvideo", "video/avi")

    def sniff(self, prefix: bytes) -> bool | str:
        return prefix[:4] == b"RIFF" and prefix[8:12] == b"AVI "

    def _info(self, d: Buffer, off: int, ln: int, budget: Budget) -> list[tuple[bytes, int, int, bytes]]:
        """Sub-chunks of a LIST/INFO, whose size is capped first (it is copied when rewritten)."""
        cap(ln, self.policy.max_meta_box_bytes, "AVI LIST/INFO")
        return _chunks(d, off + 12, off + 8 + ln, budget)

    def _top(self, d: Buffer, budget: Budget) -> list[tuple[bytes, int, int, bytes]]:
        if bytes(d[:4]) != b"RIFF" or bytes(d[8:12]) != b"AVI ":
            raise CarrierMismatch("not AVI")
        (size,) = struct.unpack_from("<I", d, 4)
        if 8 + size > len(d):
            raise CarrierCorrupt("RIFF size beyond end of file")
        return _chunks(d, 12, 8 + size, budget)

    def read(self, d: Buffer) -> list[FoundLabel]:
        out = []
        budget = Budget(self.policy)
        for cid, off, ln, kind in self._top(d, budget):
            if cid == b"LIST" and kind == b"INFO":
                for sid, soff, sln, _ in self._info(d, off, ln, budget):
                    if sid.upper() == b"AIGC":
                        if sln > self.policy.max_label_bytes * 8:
                            raise CarrierTooLarge("AIGC chunk too large")
                        raw = bytes(d[soff + 8:soff + 8 + sln]).rstrip(b"\0")
                        out.append(FoundLabel.of(self.format_id, "LIST/INFO/AIGC", raw, self.policy))
        return out

    def plan(self, d: Buffer, payload: str) -> list[Edit]:
        budget = Budget(self.policy)
        top = self._top(d, budget)
        movi = next((i for i, c in enumerate(top) if c[0] == b"LIST" and c[3] == b"movi"), None)
        if movi is None:
            raise CarrierCorrupt("AVI without movi list")
        infos = [i for i, c in enumerate(top[:movi]) if c[0] == b"LIST" and c[3] == b"INFO"]
        value = payload.encode("utf-8") + b"\0"  # INFO strings are NUL-terminated ZSTR
        if infos:
            _c, off, ln, _k = top[infos[0]]
            subs = [bytes(d[s[1]:s[1] + 8 + s[2] + (s[2] & 1)]) for s in self._info(d, off, ln, budget)
                    if s[0].upper() != b"AIGC"]
            new = riff_chunk(b"LIST", b"INFO" + b"".join(subs) + riff_chunk(b"AIGC", value))
            at, old_len, nxt = off, 8 + ln + (ln & 1), infos[0] + 1
        else:
            new = riff_chunk(b"LIST", b"INFO" + riff_chunk(b"AIGC", value))
            at, old_len, nxt = top[movi][1], 0, movi
        grow = len(new) - old_len
        if nxt < len(top) and top[nxt][0] == b"JUNK" and nxt <= movi:  # absorb into reserved JUNK
            j = top[nxt]
            room = 8 + j[2] + (j[2] & 1)
            if infos and (room - grow == 0 or room - grow >= 8):
                tail = _junk(room - grow) if room - grow else b""
                return [Edit(at, old_len + room, new + tail)]
            if not infos and (room - len(new) == 0 or room - len(new) >= 8):
                tail = _junk(room - len(new)) if room - len(new) else b""
                return [Edit(j[1], room, new + tail)]
        if b"indx" in bytes(d[:top[movi][1]]) or any(c[0] == b"RIFF" for c in top) or \
                bytes(d[len(d) - min(len(d), 1 << 16):]).find(b"AVIX") >= 0:
            raise CarrierUnsupported("OpenDML AVI without reserved JUNK space next to INFO")
        (riff,) = struct.unpack_from("<I", d, 4)
        return [Edit(at, old_len, new), Edit(4, 4, struct.pack("<I", riff + grow))]
