import io
import zipfile

import pytest

from hegui.labeling import write_label
from hegui.labeling.carriers.ooxml import FMTID
from hegui.labeling.errors import LabelFileCorrupt, LabelFileTooLarge
from tests.labeling.carriers.harness import roundtrip
from tests.labeling.media import label

_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/'
       'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override '
       'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
       'wordprocessingml.document.main+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
         'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
         'openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
         '</Relationships>')
_DOC = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.'
        'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>你好 hegui</w:t></w:r></w:p>'
        '</w:body></w:document>')


def docx(extra: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("word/document.xml", _DOC)
        for k, v in (extra or {}).items():
            z.writestr(k, v)
    return buf.getvalue()


def _parts(d: bytes) -> dict[str, bytes]:
    z = zipfile.ZipFile(io.BytesIO(d))
    return {n: z.read(n) for n in z.namelist() if not n.startswith(("docProps/custom", "[Content", "_rels/.rels"))}


def test_roundtrip_parts_identical():
    out = roundtrip(docx(), "a.docx", "ooxml", _parts)
    z = zipfile.ZipFile(io.BytesIO(out))
    custom = z.read("docProps/custom.xml").decode()
    assert FMTID in custom and custom.count('name="AIGC"') == 1
    assert "/docProps/custom.xml" in z.read("[Content_Types].xml").decode()
    assert "custom-properties" in z.read("_rels/.rels").decode()


def test_existing_custom_properties_kept():
    custom = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.'
              'openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats'
              f'.org/officeDocument/2006/docPropsVTypes"><property fmtid="{FMTID}" pid="2" name="Owner">'
              '<vt:lpwstr>ops</vt:lpwstr></property></Properties>')
    out = write_label(docx({"docProps/custom.xml": custom}), label())
    text = zipfile.ZipFile(io.BytesIO(out)).read("docProps/custom.xml").decode()
    assert 'name="Owner"' in text and 'pid="3" name="AIGC"' in text


def test_zip_bomb_guard():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("word/media/bomb.bin", b"\0" * (8 * 2**20))
    with pytest.raises(LabelFileTooLarge):
        write_label(buf.getvalue(), label(), filename="bomb.docx")


def test_corrupt_zip():
    with pytest.raises(LabelFileCorrupt):
        write_label(docx()[:100], label(), filename="a.docx")


def test_untouched_parts_are_copied_compressed_byte_for_byte():
    import struct

    def raw_members(d: bytes) -> dict[str, bytes]:
        z = zipfile.ZipFile(io.BytesIO(d))
        out = {}
        for i in z.infolist():
            n, x = struct.unpack_from("<HH", d, i.header_offset + 26)
            start = i.header_offset + 30 + n + x
            out[i.filename] = d[start:start + i.compress_size]
        return out

    src = docx({"word/media/image1.png": "x" * 5000})
    out = write_label(src, label())
    a, b = raw_members(src), raw_members(out)
    for name in ("word/document.xml", "word/media/image1.png"):
        assert a[name] == b[name]
    assert zipfile.ZipFile(io.BytesIO(out)).testzip() is None


def test_streamed_zip_with_data_descriptors():
    class NoSeek(io.RawIOBase):
        def __init__(self):
            self.buf = bytearray()

        def writable(self):
            return True

        def write(self, b):
            self.buf += b
            return len(b)

    sink = NoSeek()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        with z.open("word/document.xml", "w") as f:
            f.write(_DOC.encode())
    data = bytes(sink.buf)
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml").flag_bits & 0x8
    out = roundtrip(data, "s.docx", "ooxml", _parts)
    assert zipfile.ZipFile(io.BytesIO(out)).testzip() is None
