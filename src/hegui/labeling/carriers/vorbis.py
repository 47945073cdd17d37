"""FLAC and Ogg (Vorbis, Opus, FLAC-in-Ogg): Vorbis comment ``AIGC=<json>`` (TC260 guide 202510A).
mutagen rewrites only the comment block/header pages; audio frames and packets are untouched."""

from __future__ import annotations

import io

from hegui.labeling.carrier import Buffer, CarrierCorrupt, CarrierUnsupported, FoundLabel
from hegui.labeling.carriers._mutagen import MutagenError, edit_in_memory
from hegui.labeling.policy import LabelPolicy


class _VorbisCommentCarrier:
    format_id = ""
    extensions: tuple[str, ...] = ()
    mimetypes: tuple[str, ...] = ()

    def __init__(self, policy: LabelPolicy) -> None:
        self.policy = policy

    def _open(self, fileobj: io.BytesIO):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def read(self, data: Buffer) -> list[FoundLabel]:
        try:
            f = self._open(io.BytesIO(bytes(data)))
        except MutagenError as exc:
            raise CarrierCorrupt(str(exc)) from exc
        if f.tags is None:
            return []
        return [FoundLabel.of(self.format_id, f"VorbisComment:{k}", v, self.policy)
                for k, v in f.tags if k.upper() == "AIGC"]

    def write(self, data: Buffer, payload: str) -> bytes:
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

    def _open(self, fileobj: io.BytesIO):  # type: ignore[no-untyped-def]
        from mutagen.flac import FLAC

        return FLAC(fileobj)


class OggCarrier(_VorbisCommentCarrier):
    format_id = "ogg"
    extensions = (".ogg", ".oga", ".opus", ".spx")
    mimetypes = ("audio/ogg", "audio/opus", "application/ogg")

    def sniff(self, prefix: bytes) -> bool | str:
        return prefix[:4] == b"OggS"

    def _open(self, fileobj: io.BytesIO):  # type: ignore[no-untyped-def]
        from mutagen.oggflac import OggFLAC
        from mutagen.oggopus import OggOpus
        from mutagen.oggspeex import OggSpeex
        from mutagen.oggtheora import OggTheora
        from mutagen.oggvorbis import OggVorbis

        head = fileobj.getvalue()[:80]
        for cls, magic in ((OggOpus, b"OpusHead"), (OggVorbis, b"\x01vorbis"), (OggFLAC, b"\x7fFLAC"),
                           (OggSpeex, b"Speex   "), (OggTheora, b"\x80theora")):
            if magic in head:
                fileobj.seek(0)
                return cls(fileobj)
        raise CarrierUnsupported("Ogg stream of an unknown codec")
