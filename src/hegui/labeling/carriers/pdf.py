"""PDF: document Info dictionary key ``/AIGC`` holding the JSON (TC260 guide 20258A §6.3), plus —
configurable, [U] in the sources — ``TC260:AIGC`` in the catalog's XMP metadata stream.

Written as a pypdf *incremental update*: the original bytes are kept verbatim and the changed
objects are appended, so page content streams cannot change.
"""

from __future__ import annotations

import io
from typing import Any

from hegui.labeling import xmp
from hegui.labeling.carrier import Buffer, CarrierCorrupt, CarrierUnsupported, FoundLabel
from hegui.labeling.carriers._util import BufferFile, labels_from_xmp
from hegui.labeling.policy import LabelPolicy


class PdfCarrier:
    format_id = "pdf"
    extensions = (".pdf",)
    mimetypes = ("application/pdf",)

    def __init__(self, policy: LabelPolicy) -> None:
        self.policy = policy

    def sniff(self, prefix: bytes) -> bool | str:
        return b"%PDF-" in prefix[:1024]

    def _reader(self, data: Buffer, view: BufferFile | None = None):  # type: ignore[no-untyped-def]
        """pypdf over a view of ``data`` (no copy of the file); valid while ``view`` is open."""
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError

        try:
            r = PdfReader(view or BufferFile(data), strict=False)
            if r.is_encrypted:
                raise CarrierUnsupported("encrypted PDF")
            _ = r.trailer["/Root"]
            return r
        except (PyPdfError, KeyError, ValueError, TypeError, AttributeError, RecursionError) as exc:
            raise CarrierCorrupt(f"PDF: {exc}") from exc

    def read(self, data: Buffer) -> list[FoundLabel]:
        from pypdf.errors import PyPdfError

        try:
            with BufferFile(data) as view:
                return self._read(data, view)
        except (PyPdfError, KeyError, ValueError, TypeError, AttributeError, RecursionError, IndexError) as exc:
            raise CarrierCorrupt(f"PDF: {exc}") from exc

    def _read(self, data: Buffer, view: BufferFile) -> list[FoundLabel]:
        r = self._reader(data, view)
        found: list[FoundLabel] = []
        info = r.trailer.get("/Info")
        info = info.get_object() if info is not None else None
        if info is not None:
            for key in info:
                if "AIGC" in str(key).upper():
                    found.append(FoundLabel.of(self.format_id, f"Info{key}", str(info[key].get_object()), self.policy))
        meta = r.trailer["/Root"].get_object().get("/Metadata")
        if meta is not None:
            try:
                packet = meta.get_object().get_data()
            except Exception as exc:  # noqa: BLE001 - foreign decoder
                raise CarrierCorrupt(f"PDF XMP stream: {exc}") from exc
            found += labels_from_xmp(self.format_id, "Catalog/Metadata", packet, self.policy)
        return found

    def write(self, data: Buffer, payload: str) -> bytes:
        from pypdf.errors import PyPdfError

        with BufferFile(data) as view:
            r = self._reader(data, view)
            try:
                fast = self._append_classic(data, r, payload)
            except (PyPdfError, KeyError, ValueError, TypeError, AttributeError, RecursionError, IndexError) as exc:
                raise CarrierCorrupt(f"PDF: {exc}") from exc
            return fast if fast is not None else self._write_pypdf(r, payload)

    def _append_classic(self, data: Buffer, r, payload: str) -> bytes | None:  # type: ignore[no-untyped-def]
        """Hand-written incremental update for files whose last cross-reference section is a classic
        table (most PDFs): new Info/Metadata/Catalog objects, an xref section and a trailer are
        appended. Anything unusual returns None and pypdf does the update."""
        import re

        from pypdf.generic import DecodedStreamObject, DictionaryObject, IndirectObject, NameObject, TextStringObject

        tail = bytes(data[-1024:])
        m = list(re.finditer(rb"startxref\s+(\d+)", tail))
        if not m:
            return None
        prev = int(m[-1].group(1))
        if bytes(data[prev:prev + 4]) != b"xref":
            return None  # cross-reference stream: leave it to pypdf
        trailer: Any = r.trailer
        root_ref, info_ref = trailer.raw_get("/Root"), trailer.raw_get("/Info") if "/Info" in trailer else None
        if not isinstance(root_ref, IndirectObject) or (info_ref is not None and
                                                        not isinstance(info_ref, IndirectObject)):
            return None
        size = int(trailer["/Size"])
        objs: dict[int, tuple[int, bytes]] = {}
        info = DictionaryObject()
        if info_ref is not None:
            old_info: Any = info_ref.get_object()
            if not isinstance(old_info, DictionaryObject):
                return None
            info.update({k: v for k, v in old_info.items() if "AIGC" not in str(k).upper()})
        info[NameObject("/AIGC")] = TextStringObject(payload)
        info_num, info_gen = (info_ref.idnum, info_ref.generation) if info_ref is not None else (size, 0)
        if info_ref is None:
            size += 1
        objs[info_num] = (info_gen, _serialise(info))
        root: Any = root_ref.get_object()
        if self.policy.pdf_xmp:
            meta_ref: Any = root.raw_get("/Metadata") if "/Metadata" in root else None
            if meta_ref is not None and not isinstance(meta_ref, IndirectObject):
                return None
            stream = DecodedStreamObject()
            meta_obj: Any = meta_ref.get_object() if meta_ref is not None else None
            old = meta_obj.get_data().decode("utf-8", "replace") if meta_obj is not None else None
            from hegui.labeling import xmp as _xmp

            stream.set_data(_xmp.merge_packet(old, payload).encode("utf-8"))
            stream[NameObject("/Type")] = NameObject("/Metadata")
            stream[NameObject("/Subtype")] = NameObject("/XML")
            if meta_ref is None:
                new_root = DictionaryObject(root)
                new_root[NameObject("/Metadata")] = IndirectObject(size, 0, r)
                objs[size] = (0, _serialise(stream))
                objs[root_ref.idnum] = (root_ref.generation, _serialise(new_root))
                size += 1
            else:
                objs[meta_ref.idnum] = (meta_ref.generation, _serialise(stream))
        out = bytearray(bytes(data))
        if not out.endswith(b"\n"):
            out += b"\n"
        offsets = {}
        for num in sorted(objs):
            gen, body = objs[num]
            offsets[num] = len(out)
            out += b"%d %d obj\n" % (num, gen) + body + b"\nendobj\n"
        xref_at = len(out)
        out += b"xref\n"
        for num in sorted(objs):
            out += b"%d 1\n%010d %05d n \n" % (num, offsets[num], objs[num][0])
        new_trailer = DictionaryObject({NameObject("/Size"): _num(size), NameObject("/Root"): root_ref,
                                        NameObject("/Info"): IndirectObject(info_num, info_gen, r),
                                        NameObject("/Prev"): _num(prev)})
        if "/ID" in trailer:
            new_trailer[NameObject("/ID")] = trailer.raw_get("/ID")
        out += b"trailer\n" + _serialise(new_trailer) + b"\nstartxref\n%d\n%%%%EOF\n" % xref_at
        return bytes(out)

    def _write_pypdf(self, r, payload: str) -> bytes:  # type: ignore[no-untyped-def]
        from pypdf import PdfWriter
        from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, TextStringObject

        try:
            w = PdfWriter(r, incremental=True)
            info: Any = w._info.get_object() if w._info is not None else None  # noqa: SLF001
            if info is None:
                w.add_metadata({"/AIGC": payload})
            else:
                for key in [k for k in info if "AIGC" in str(k).upper()]:
                    del info[key]
                info[NameObject("/AIGC")] = TextStringObject(payload)
            if self.policy.pdf_xmp:
                root = w._root_object  # noqa: SLF001
                existing = root.get("/Metadata")
                if existing is not None:  # update in place (a new object confuses pypdf's incremental xref)
                    stream = existing.get_object()
                    old = stream.get_data().decode("utf-8", "replace")
                    stream.set_data(xmp.merge_packet(old, payload).encode("utf-8"))
                else:
                    stream = DecodedStreamObject()
                    stream.set_data(xmp.new_packet(payload).encode("utf-8"))
                    stream.update({NameObject("/Type"): NameObject("/Metadata"),
                                   NameObject("/Subtype"): NameObject("/XML")})
                    root[NameObject("/Metadata")] = w._add_object(stream)  # noqa: SLF001
            out = io.BytesIO()
            w.write(out)
        except (CarrierCorrupt, CarrierUnsupported):
            raise
        except Exception as exc:  # noqa: BLE001 - foreign writer; mapped to a precise error
            raise CarrierCorrupt(f"PDF update failed: {exc}") from exc
        _ = DictionaryObject
        return out.getvalue()


def _serialise(obj) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    obj.write_to_stream(buf)
    return buf.getvalue()


def _num(n: int):  # type: ignore[no-untyped-def]
    from pypdf.generic import NumberObject

    return NumberObject(n)
