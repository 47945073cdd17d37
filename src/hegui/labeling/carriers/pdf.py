"""PDF: document Info dictionary key ``/AIGC`` holding the JSON (TC260 guide 20258A §6.3), plus —
configurable, [U] in the sources — ``TC260:AIGC`` in the catalog's XMP metadata stream.

Written as a pypdf *incremental update*: the original bytes are kept verbatim and the changed
objects are appended, so page content streams cannot change.
"""

from __future__ import annotations

import io

from hegui.labeling import xmp
from hegui.labeling.carrier import Buffer, CarrierCorrupt, CarrierUnsupported, FoundLabel
from hegui.labeling.carriers._util import labels_from_xmp


class PdfCarrier:
    format_id = "pdf"
    extensions = (".pdf",)
    mimetypes = ("application/pdf",)

    def __init__(self, policy) -> None:  # type: ignore[no-untyped-def]
        self.policy = policy

    def sniff(self, prefix: bytes) -> bool | str:
        return b"%PDF-" in prefix[:1024]

    def _reader(self, data: Buffer):  # type: ignore[no-untyped-def]
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError

        try:
            r = PdfReader(io.BytesIO(bytes(data)), strict=False)
            if r.is_encrypted:
                raise CarrierUnsupported("encrypted PDF")
            _ = r.trailer["/Root"]
            return r
        except (PyPdfError, KeyError, ValueError, TypeError, AttributeError, RecursionError) as exc:
            raise CarrierCorrupt(f"PDF: {exc}") from exc

    def read(self, data: Buffer) -> list[FoundLabel]:
        r = self._reader(data)
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
        from pypdf import PdfWriter
        from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, TextStringObject

        r = self._reader(data)
        try:
            w = PdfWriter(clone_from=r, incremental=True)
            info = w._info.get_object() if w._info is not None else None  # noqa: SLF001
            if info is None:
                w.add_metadata({"/AIGC": payload})
            else:
                for key in [k for k in info if "AIGC" in str(k).upper()]:
                    del info[key]
                info[NameObject("/AIGC")] = TextStringObject(payload)
            if self.policy.pdf_xmp:
                root = w._root_object  # noqa: SLF001
                old = None
                if "/Metadata" in root:
                    old = root["/Metadata"].get_object().get_data().decode("utf-8", "replace")
                stream = DecodedStreamObject()
                stream.set_data(xmp.merge_packet(old, payload).encode("utf-8"))
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
