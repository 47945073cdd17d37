"""WAV: a top-level RIFF sub-chunk with ID ``AIGC`` holding the JSON, padded to even length
(TC260 guide 202510A). The ``data`` chunk is copied unchanged; RF64 is not supported."""

from __future__ import annotations

import struct

from hegui.labeling.carrier import Buffer, CarrierTooLarge, CarrierUnsupported, Edit, EditCarrier, FoundLabel
from hegui.labeling.carriers._util import Budget
from hegui.labeling.carriers.webp import riff_chunk, riff_chunks


class WavCarrier(EditCarrier):
    format_id = "wav"
    extensions = (".wav", ".wave")
    mimetypes = ("audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave")

    def sniff(self, prefix: bytes) -> bool | str:
        if prefix[:4] in (b"RF64", b"BW64") and prefix[8:12] == b"WAVE":
            return "RF64/BW64 WAV is not supported"
        return prefix[:4] == b"RIFF" and prefix[8:12] == b"WAVE"

    def read(self, data: Buffer) -> list[FoundLabel]:
        out = []
        for cid, off, ln in riff_chunks(data, b"WAVE", Budget(self.policy)):
            if cid.upper() == b"AIGC":
                if ln > self.policy.max_label_bytes * 8:
                    raise CarrierTooLarge("AIGC chunk too large")
                out.append(FoundLabel.of(self.format_id, "RIFF/AIGC", bytes(data[off + 8: off + 8 + ln]).rstrip(b"\x00"),
                                         self.policy))
        return out

    def plan(self, data: Buffer, payload: str) -> list[Edit]:
        cs = riff_chunks(data, b"WAVE", Budget(self.policy))
        if not any(c[0] == b"data" for c in cs):
            raise CarrierUnsupported("WAV without a data chunk")
        new = riff_chunk(b"AIGC", payload.encode("utf-8"))
        olds = [c for c in cs if c[0].upper() == b"AIGC"]
        edits = [Edit(o, 8 + ln + (ln & 1), b"") for _c, o, ln in olds]
        last = cs[-1]
        end = last[1] + 8 + last[2] + (last[2] & 1)
        if end > len(data):  # odd last chunk without its pad byte
            new = b"\x00" * (end - len(data)) + new
            end = len(data)
        edits.append(Edit(end, 0, new))
        removed = sum(8 + ln + (ln & 1) for _c, _o, ln in olds)
        new_size = end - 8 - removed + len(new)
        if new_size > 0xFFFFFFFF:
            raise CarrierUnsupported("WAV would exceed 4 GiB (RF64 needed)")
        edits.append(Edit(4, 4, struct.pack("<I", new_size)))
        if end < len(data):  # trailing junk after the RIFF body is dropped
            edits.append(Edit(end, len(data) - end, b""))
        return edits
