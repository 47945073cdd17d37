"""MP3: ID3v2 ``TXXX`` frame with description ``AIGC`` and the JSON as text (TC260 guide 202510A).
mutagen rewrites only the tag, handed just the tag's bytes (capped at ``max_tag_bytes``); the write is
an edit of the tag region, so MPEG frames are streamed, never loaded."""

from __future__ import annotations

import io

from hegui.labeling.carrier import Buffer, CarrierCorrupt, Edit, FoundLabel, apply_edits
from hegui.labeling.carriers._mutagen import MutagenError, edit_in_memory
from hegui.labeling.carriers._util import cap
from hegui.labeling.policy import LabelPolicy


class Mp3Carrier:
    format_id = "mp3"
    extensions = (".mp3",)
    mimetypes = ("audio/mpeg", "audio/mp3")

    def __init__(self, policy: LabelPolicy) -> None:
        self.policy = policy

    def sniff(self, prefix: bytes) -> bool | str:
        return prefix[:3] == b"ID3" or (len(prefix) > 1 and prefix[0] == 0xFF and prefix[1] & 0xE0 == 0xE0
                                       and prefix[1] & 0x06 != 0)

    def read(self, data: Buffer) -> list[FoundLabel]:
        from mutagen.id3 import ID3, ID3NoHeaderError

        if bytes(data[:3]) != b"ID3":
            return []
        try:
            tags = ID3(io.BytesIO(bytes(data[: self._tag_length(data)])))
        except ID3NoHeaderError:
            return []
        except MutagenError as exc:
            raise CarrierCorrupt(f"ID3 tag: {exc}") from exc
        return [FoundLabel.of(self.format_id, f"ID3v2.{tags.version[1]} TXXX:{f.desc}", t, self.policy)
                for f in tags.getall("TXXX") if f.desc.upper() == "AIGC" for t in f.text]

    def _tag_length(self, data: Buffer) -> int:
        """Bytes of the ID3v2 tag at the start (header, body, optional footer), capped."""
        if bytes(data[:3]) != b"ID3":
            return 0
        n = 10 + _id3_size(data) + (10 if len(data) > 5 and data[5] & 0x10 else 0)
        cap(n, self.policy.max_tag_bytes, "ID3v2 tag")
        if n > len(data):
            raise CarrierCorrupt("ID3 tag runs past the end of the file")
        return n

    def plan(self, data: Buffer, payload: str) -> list[Edit]:
        """Replace (or insert) the ID3v2 tag; the rest of the file is copied as is."""
        n = self._tag_length(data)
        return [Edit(0, n, self._new_tag(bytes(data[:n]), payload))]

    def write(self, data: Buffer, payload: str) -> bytes:
        return apply_edits(data, self.plan(data, payload))

    def _new_tag(self, tag: bytes, payload: str) -> bytes:
        from mutagen.id3 import ID3, TXXX, ID3NoHeaderError

        def edit(buf: io.BytesIO) -> None:
            try:
                tags = ID3(buf)
            except ID3NoHeaderError:
                tags = ID3()
            for key in [k for k in tags.keys() if k.upper().startswith("TXXX:") and k[5:].upper() == "AIGC"]:
                del tags[key]
            tags.add(TXXX(encoding=3, desc="AIGC", text=[payload]))
            buf.seek(0)
            tags.save(buf, v2_version=self.policy.id3_version)

        return edit_in_memory(tag, edit)


def _id3_size(data: Buffer) -> int:
    b = bytes(data[6:10])
    if len(b) < 4:
        raise CarrierCorrupt("ID3 header truncated")
    return (b[0] << 21) | (b[1] << 14) | (b[2] << 7) | b[3]
