"""DOCX / XLSX / PPTX (+ templates, macro-enabled): ``docProps/custom.xml`` property ``AIGC``
(fmtid ``{D5CDD505-2E9C-101B-9397-08002B2CF9AE}``, ``vt:lpwstr`` = bare JSON), registered in
``_rels/.rels`` and ``[Content_Types].xml`` (TC260 guide 20258A §6.1).

All other parts are copied with their original contents (re-zipped, never re-rendered); a
decompression-bomb guard checks declared sizes and ratio before anything is inflated.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from xml.sax.saxutils import escape

from hegui.labeling.carrier import Buffer, CarrierCorrupt, CarrierMismatch, CarrierTooLarge, FoundLabel
from hegui.labeling.carriers._zip import rezip_raw
from hegui.labeling.policy import LabelPolicy

FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
_CUSTOM = "docProps/custom.xml"
_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
_NS = ('xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
       'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"')
_MAX_ENTRIES = 1 << 16  # parts in one package (real documents: tens to a few thousand)
_PROP_RE = re.compile(r"<property\b[^>]*?\bname=\"([^\"]*)\"[^>]*?(?:/>|>.*?</property>)", re.S)


class OoxmlCarrier:
    format_id = "ooxml"
    extensions = (".docx", ".xlsx", ".pptx", ".dotx", ".xltx", ".potx", ".docm", ".xlsm", ".pptm")
    mimetypes = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "application/vnd.openxmlformats-officedocument.presentationml.presentation")

    def __init__(self, policy: LabelPolicy) -> None:
        self.policy = policy

    def sniff(self, prefix: bytes) -> bool | str:
        return prefix[:4] == b"PK\x03\x04" and b"[Content_Types].xml" in prefix[:2048]

    def _directory_check(self, data: Buffer) -> None:
        """Refuse a central directory that claims more entries or bytes than the caps *before*
        zipfile reads it (it allocates what the end record says)."""
        tail_at = max(0, len(data) - (1 << 16) - 22)
        tail = bytes(data[tail_at:])
        i = tail.rfind(b"PK\x05\x06")
        if i < 0 or i + 22 > len(tail):
            return  # not found: zipfile reports it
        entries, cd_size = struct.unpack_from("<HI", tail, i + 10)[0], struct.unpack_from("<I", tail, i + 12)[0]
        if i >= 20 and tail[i - 20:i - 16] == b"PK\x06\x07":  # ZIP64 locator → ZIP64 end record
            (z64,) = struct.unpack_from("<Q", tail, i - 12)
            rec = bytes(data[z64:z64 + 56]) if z64 + 56 <= len(data) else b""
            if rec[:4] == b"PK\x06\x06":
                entries, cd_size = struct.unpack_from("<QQ", rec, 32)
        if entries > _MAX_ENTRIES or cd_size > self.policy.max_tag_bytes:
            raise CarrierTooLarge(f"zip central directory claims {entries} entries / {cd_size} bytes "
                                  f"(caps {_MAX_ENTRIES} / {self.policy.max_tag_bytes})")

    def _zip(self, data: Buffer) -> zipfile.ZipFile:
        self._directory_check(data)
        try:
            z = zipfile.ZipFile(io.BytesIO(bytes(data)))
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            if bytes(data[:2]) == b"PK":
                raise CarrierCorrupt(f"zip: {exc}") from exc
            raise CarrierMismatch("not a zip") from exc
        if "[Content_Types].xml" not in z.namelist():
            raise CarrierMismatch("zip but not OOXML")
        total = 0
        for info in z.infolist():
            total += info.file_size
            if total > self.policy.max_zip_uncompressed_bytes or (
                    info.compress_size and info.file_size / info.compress_size > self.policy.max_zip_ratio
                    and info.file_size > 1 << 20):
                raise CarrierTooLarge("zip inflates beyond the cap (decompression bomb guard)")
        return z

    def _read_part(self, z: zipfile.ZipFile, name: str) -> str:
        try:
            with z.open(name) as f:
                raw = f.read(self.policy.max_xmp_bytes + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            raise CarrierCorrupt(f"zip member {name}: {exc}") from exc
        if len(raw) > self.policy.max_xmp_bytes:
            raise CarrierTooLarge(f"{name} too large")
        return raw.decode("utf-8", "replace")

    def read(self, data: Buffer) -> list[FoundLabel]:
        z = self._zip(data)
        if _CUSTOM not in z.namelist():
            return []
        xml = self._read_part(z, _CUSTOM)
        out = []
        import html

        for m in _PROP_RE.finditer(xml):
            if "AIGC" in m.group(1).upper():
                v = re.search(r"<vt:\w+>(.*?)</vt:\w+>", m.group(0), re.S)
                out.append(FoundLabel.of(self.format_id, f"{_CUSTOM}:{m.group(1)}",
                                         html.unescape(v.group(1)) if v else "", self.policy))
        return out

    def write(self, data: Buffer, payload: str) -> bytes:
        z = self._zip(data)
        names = z.namelist()
        custom = self._read_part(z, _CUSTOM) if _CUSTOM in names else None
        if custom and "</Properties>" in custom:
            props = [m for m in _PROP_RE.finditer(custom) if m.group(1).upper() != "AIGC"]
            pids = [int(p) for m in props for p in re.findall(r'\bpid="(\d+)"', m.group(0))]
            body = "".join(m.group(0) for m in props)
            head = custom[: custom.index("<Properties")]
            open_tag = re.search(r"<Properties\b[^>]*>", custom)
            start = open_tag.group(0) if open_tag else f"<Properties {_NS}>"
        else:
            pids, body, head, start = [], "", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n', f"<Properties {_NS}>"
        pid = max([1, *pids]) + 1
        prop = (f'<property fmtid="{FMTID}" pid="{pid}" name="AIGC"><vt:lpwstr>{escape(payload)}</vt:lpwstr>'
                "</property>")
        new_custom = (head + start + body + prop + "</Properties>").encode("utf-8")
        ct = self._read_part(z, "[Content_Types].xml")
        if "/docProps/custom.xml" not in ct:
            ct = ct.replace("</Types>", f'<Override PartName="/docProps/custom.xml" ContentType="{_CT}"/></Types>')
        rels = self._read_part(z, "_rels/.rels") if "_rels/.rels" in names else (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
            'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>')
        if _REL not in rels:
            ids = set(re.findall(r'Id="([^"]+)"', rels))
            rid = next(f"rId{i}" for i in range(1, 10000) if f"rId{i}" not in ids)
            rels = rels.replace("</Relationships>",
                                f'<Relationship Id="{rid}" Type="{_REL}" Target="docProps/custom.xml"/></Relationships>')
        replaced = {_CUSTOM: new_custom, "[Content_Types].xml": ct.encode("utf-8"), "_rels/.rels": rels.encode("utf-8")}
        raw = rezip_raw(data, z, replaced)  # other parts copied compressed-byte for byte
        if raw is not None:
            return raw
        out = io.BytesIO()
        try:
            with zipfile.ZipFile(out, "w") as zo:
                for info in z.infolist():
                    if info.filename in replaced:
                        zo.writestr(info, replaced.pop(info.filename), compress_type=zipfile.ZIP_DEFLATED)
                    else:
                        with z.open(info) as src, zo.open(info, "w") as dst:
                            while chunk := src.read(1 << 20):
                                dst.write(chunk)
                for name, content in replaced.items():
                    zo.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as exc:
            raise CarrierCorrupt(f"zip member: {exc}") from exc
        return out.getvalue()
