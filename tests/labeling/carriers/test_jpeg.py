import struct

from hegui.labeling import read_label, write_label
from hegui.labeling.carriers.jpeg import segments
from tests.labeling.carriers.harness import roundtrip, truncated
from tests.labeling.media import PRODUCER, image, label, pixels


def _scan(data: bytes) -> bytes:
    sos = next(o for m, o, _ in segments(data) if m == 0xDA)
    return data[sos:]


def test_roundtrip_pixels_and_scan_identical():
    data = image("JPEG", quality=90)
    out = roundtrip(data, "a.jpg", "jpeg", pixels)
    assert _scan(out) == _scan(data)


def test_merges_into_existing_xmp_and_exif_kept():
    import io

    from PIL import Image

    src = Image.open(io.BytesIO(image("JPEG")))
    exif = Image.Exif()
    exif[0x010F] = "TestMake"
    buf = io.BytesIO()
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:format>image/jpeg'
           b"</dc:format></rdf:Description></rdf:RDF></x:xmpmeta>")
    src.save(buf, "JPEG", exif=exif.tobytes(), xmp=xmp)
    out = write_label(buf.getvalue(), label())
    assert b"<dc:format>image/jpeg</dc:format>" in out and b"TestMake" in out
    assert read_label(out).label == label()


def test_vendor_exif_usercomment_wrapped_is_read():
    """Baidu/Zhipu practice: wrapped JSON in EXIF UserComment with an ASCII prefix (read only)."""
    import io

    from PIL import Image

    exif = Image.Exif()
    ifd = exif.get_ifd(0x8769)
    ifd[0x9286] = b"ASCII\x00\x00\x00" + label().to_json("wrapped").encode()
    buf = io.BytesIO()
    Image.open(io.BytesIO(image("JPEG"))).save(buf, "JPEG", exif=exif.tobytes())
    r = read_label(buf.getvalue())
    assert r.label == label() and "EXIF UserComment" in r.found[0].location


def test_vendor_exif_label_is_updated_not_duplicated():
    import io

    from PIL import Image

    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"ASCII\x00\x00\x00" + label("other").to_json("wrapped").encode()
    buf = io.BytesIO()
    Image.open(io.BytesIO(image("JPEG"))).save(buf, "JPEG", exif=exif.tobytes())
    out = write_label(buf.getvalue(), label("mine"))
    r = read_label(out)
    assert r.label == label("mine") and not r.errors and {f.parsed.label for f in r.found} == {label("mine")}
    assert pixels(out) == pixels(buf.getvalue())


def test_disagreeing_carriers_reported():
    import io

    from PIL import Image

    from hegui.labeling import xmp
    from hegui.labeling.carriers.jpeg import XMP_SIG

    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"ASCII\x00\x00\x00" + label("other").to_json("wrapped").encode()
    pkt = xmp.new_packet(label("mine").to_json()).encode()
    seg = b"\xff\xe1" + struct.pack(">H", len(pkt) + len(XMP_SIG) + 2) + XMP_SIG + pkt
    buf = io.BytesIO()
    Image.open(io.BytesIO(image("JPEG"))).save(buf, "JPEG", exif=exif.tobytes())
    d = buf.getvalue()
    r = read_label(d[:2] + seg + d[2:])
    assert any("disagree" in e for e in r.errors) and r.verdict == "noncompliant"


def test_truncated():
    truncated(image("JPEG"), "a.jpg", cut=30)


def test_bad_segment_length():
    data = bytearray(image("JPEG"))
    struct.pack_into(">H", data, 4, 0xFFFF)  # APP0 length beyond the file
    truncated(bytes(data), "a.jpg", cut=len(data))


def test_producer_is_code():
    assert read_label(write_label(image("JPEG"), label())).label.ContentProducer == PRODUCER


def test_plain_description_mentioning_aigc_is_not_a_label_and_kept():
    from PIL import Image
    import io

    exif = Image.Exif()
    exif[0x010E] = "Photo about AIGC rules"
    buf = io.BytesIO()
    Image.open(io.BytesIO(image("JPEG"))).save(buf, "JPEG", exif=exif.tobytes())
    assert read_label(buf.getvalue()).found == []
    out = write_label(buf.getvalue(), label())
    assert b"Photo about AIGC rules" in out and read_label(out).label == label()
