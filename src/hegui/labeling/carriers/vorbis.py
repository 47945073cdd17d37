"""FLAC and Ogg (Vorbis, Opus, FLAC-in-Ogg): Vorbis comment ``AIGC=<json>`` (TC260 guide 202510A).
mutagen rewrites only the comment block/header pages; audio frames and packets are untouched.

Bounded memory: the FLAC metadata blocks and the Ogg header packets are measured here first and
refused above ``max_tag_bytes``; FLAC is written as an edit of its metadata region (frames streamed),
Ogg is read through a view of the file (no copy) and written in memory (``max_in_memory_bytes``)."""

from __future__ import annotations

import io

from hegui.labeling.carrier import (
    Buffer,
    CarrierCorrupt,
    CarrierTooLarge,
    CarrierUnsupported,
    Edit,
    FoundLabel,
    apply_edits,
)
from hegui.labeling.carriers._mutagen import MutagenError, edit_in_memory
from hegui.labeling.carriers._util import Budget, BufferFile, cap
from hegui.labeling.policy import LabelPolicy


class _VorbisCommentCarrier:
    format_id = ""
    extensions: tuple[str, ...] = ()
    mimetypes: tuple[str, ...] = ()

    def __init__(self, policy: LabelPolicy) -> None:
        self.policy = policy

    def _open(self, fileobj: io.BytesIO):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def _check(self, data: Buffer) -> int:
        """Bytes of the metadata region, after checking it against the caps."""
        raise NotImplementedError

    def read(self, data: Buffer) -> list[FoundLabel]:
        self._check(data)
        try:
            with BufferFile(data) as view:
                f = self._open(view)  # type: ignore[arg-type]
        except MutagenError as exc:
            raise CarrierCorrupt(str(exc)) from exc
        if f.tags is None:
            return []
        return [FoundLabel.of(self.format_id, f"VorbisComment:{k}", v, self.policy)
                for k, v in f.tags if k.upper() == "AIGC"]

    def write(self, data: Buffer, payload: str) -> bytes:
        self._check(data)
        return self._edit(data, payload)

    def _edit(self, data: Buffer, payload: str) -> bytes:
        def edit(buf: io.BytesIO) -> None:
            f = self._open(buf)
            if f.tags is None:
                f.add_tags()
            for k in {k for k, _ in f.tags if k.upper() == "AIGC"}:
                del f.tags[k]
            f.tags["AIGC"] = [payload]
            buf.seek(0)
            f.save(buf)

        return edit_in_memory(data, edit)


class FlacCarrier(_VorbisCommentCarrier):
    format_id = "flac"
    extensions = (".flac",)
    mimetypes = ("audio/flac", "audio/x-flac")

    def sniff(self, prefix: bytes) -> bool | str:
        return prefix[:4] == b"fLaC"

    def _check(self, data: Buffer) -> int:
        """End of the last metadata block (each block header: last flag, type, 24-bit length)."""
        if bytes(data[:4]) != b"fLaC":
            raise CarrierCorrupt("not FLAC")
        budget, pos = Budget(self.policy), 4
        while True:
            budget.tick("FLAC metadata blocks")
            if pos + 4 > len(data):
                raise CarrierCorrupt("FLAC ends inside its metadata blocks")
            head = data[pos]
            pos += 4 + int.from_bytes(bytes(data[pos + 1:pos + 4]), "big")
            cap(pos, self.policy.max_tag_bytes, "FLAC metadata blocks")
            if pos > len(data):
                raise CarrierCorrupt("FLAC metadata block runs past the end of the file")
            if head & 0x80:
                return pos

    def plan(self, data: Buffer, payload: str) -> list[Edit]:
        """Rewrite only the metadata region; the audio frames are copied as they are."""
        n = self._check(data)
        return [Edit(0, n, self._edit(bytes(data[:n]), payload))]

    def write(self, data: Buffer, payload: str) -> bytes:
        return apply_edits(data, self.plan(data, payload))

    def _open(self, fileobj: io.BytesIO):  # type: ignore[no-untyped-def]
        from mutagen.flac import FLAC

        return FLAC(fileobj)


class OggCarrier(_VorbisCommentCarrier):
    format_id = "ogg"
    extensions = (".ogg", ".oga", ".opus", ".spx")
    mimetypes = ("audio/ogg", "audio/opus", "application/ogg")

    def sniff(self, prefix: bytes) -> bool | str:
        return prefix[:4] == b"OggS"

    def _check(self, data: Buffer) -> int:
        """Walk pages until the header packets (identification, comment, setup) are complete;
        refuse header packets above ``max_tag_bytes`` (a comment packet can span any number of pages)."""
        budget, pos, packets, total = Budget(self.policy), 0, 0, 0
        while packets < 3:
            budget.tick("Ogg pages")
            if pos + 27 > len(data):
                return pos  # short streams (Opus has two header packets): mutagen decides
            if bytes(data[pos:pos + 4]) != b"OggS":
                raise CarrierCorrupt(f"Ogg page expected at {pos}")
            nseg = data[pos + 26]
            lacing = bytes(data[pos + 27:pos + 27 + nseg])
            packets += sum(1 for v in lacing if v < 255)
            body = sum(lacing)
            total += body
            if total > self.policy.max_tag_bytes:
                raise CarrierTooLarge(f"Ogg header packets exceed the cap of {self.policy.max_tag_bytes} bytes")
            pos += 27 + nseg + body
        return pos

    def _open(self, fileobj: io.BytesIO):  # type: ignore[no-untyped-def]
        from mutagen.oggflac import OggFLAC
        from mutagen.oggopus import OggOpus
        from mutagen.oggspeex import OggSpeex
        from mutagen.oggtheora import OggTheora
        from mutagen.oggvorbis import OggVorbis

        fileobj.seek(0)
        head = fileobj.read(80)
        for cls, magic in ((OggOpus, b"OpusHead"), (OggVorbis, b"\x01vorbis"), (OggFLAC, b"\x7fFLAC"),
                           (OggSpeex, b"Speex   "), (OggTheora, b"\x80theora")):
            if magic in head:
                fileobj.seek(0)
                return cls(fileobj)
        raise CarrierUnsupported("Ogg stream of an unknown codec")
