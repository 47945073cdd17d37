import io

import pytest

from hegui.labeling import read_label, write_label
from hegui.labeling.errors import LabelFileCorrupt
from tests.labeling.carriers.harness import roundtrip
from tests.labeling.media import label


def pdf(info: bytes = b"") -> bytes:
    """A one-page PDF with a text content stream, xref offsets computed (no fixture files)."""
    content = b"BT /F1 12 Tf 20 50 Td (hello hegui) Tj ET"
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Producer (test)" + info + b" >>"]
    out = bytearray(b"%PDF-1.7\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offs)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
    return bytes(out)


def _contents(d: bytes) -> bytes:
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(d)).pages[0].get_contents().get_data()


def test_roundtrip_incremental_keeps_original_bytes():
    data = pdf()
    out = roundtrip(data, "a.pdf", "pdf", _contents, places=2)  # Info + XMP
    assert out.startswith(data)  # incremental update: the original file is a prefix


def test_info_and_xmp_both_written_and_agree():
    r = read_label(write_label(pdf(), label()))
    locs = sorted(f.location for f in r.found)
    assert any(l.startswith("Info/AIGC") for l in locs) and any("Metadata" in l for l in locs)
    assert not r.errors


def test_pypdf_reads_info_key():
    from pypdf import PdfReader

    out = write_label(pdf(), label())
    assert PdfReader(io.BytesIO(out)).metadata["/AIGC"] == label().to_json()


def test_vendor_info_only_read():
    js = label("v").to_json().replace("(", "").encode()
    assert read_label(pdf(b" /AIGC (" + js + b")")).label == label("v")


def test_corrupt():
    with pytest.raises(LabelFileCorrupt):
        write_label(b"%PDF-1.7\n1 0 obj <<", label())


def test_output_parses_strictly_and_pages_kept():
    from pypdf import PdfReader

    out = write_label(write_label(pdf(), label("a")), label("b"))
    r = PdfReader(io.BytesIO(out), strict=True)
    assert r.metadata["/Producer"] == "test" and len(r.pages) == 1
    assert r.metadata["/AIGC"] == label("b").to_json()


def test_xref_stream_pdf_goes_through_pypdf_incremental():
    from hegui.labeling.carriers.pdf import PdfCarrier
    from hegui.labeling.policy import default_policy

    car = PdfCarrier(default_policy())
    streamed = car._write_pypdf(car._reader(pdf()), label("x").to_json())  # ends in a /Type /XRef stream
    assert b"/XRef" in streamed[len(pdf()):]
    out = write_label(write_label(streamed, label("y")), label("z"))
    r = read_label(out)
    assert out.startswith(streamed) and r.label == label("z") and len(r.found) == 2 and not r.errors
    assert _contents(out) == _contents(pdf())
