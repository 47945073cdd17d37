import zlib

from hegui.labeling import read_label, write_label
from hegui.labeling.carriers.png import chunk, chunks
from hegui.labeling.policy import default_policy
from tests.labeling.carriers.harness import roundtrip, truncated
from tests.labeling.media import image, label, pixels


def _idat(data: bytes) -> bytes:
    return b"".join(data[o:o + 12 + n] for t, o, n in chunks(data) if t == b"IDAT")


def test_roundtrip_pixels_and_idat_identical():
    data = image("PNG")
    out = roundtrip(data, "a.png", "png", pixels)
    assert _idat(out) == _idat(data)
    assert b"iTXtXML:com.adobe.xmp" in out


def test_rgba_and_palette():
    for mode in ("RGBA", "P", "L"):
        import io

        from PIL import Image

        im = Image.new(mode, (9, 7))
        buf = io.BytesIO()
        im.save(buf, "PNG")
        roundtrip(buf.getvalue(), "x.png", "png", pixels)


def test_vendor_text_chunk_read_and_replaced():
    """Alibaba/Kling practice: tEXt keyword AIGC with bare JSON."""
    data = image("PNG")
    ihdr_end = 8 + 12 + 13
    vendor = data[:ihdr_end] + chunk(b"tEXt", b"AIGC\x00" + label("vendor").to_json().encode()) + data[ihdr_end:]
    assert read_label(vendor).label == label("vendor")
    out = write_label(vendor, label("ours"))
    r = read_label(out)
    assert r.label == label("ours") and len(r.found) == 1  # the stale tEXt label is replaced


def test_text_chunk_written_when_configured():
    from hegui.labeling.carriers import default_registry

    policy = default_policy().model_copy(update={"png_text_chunk": True})
    out = write_label(image("PNG"), label(), policy=policy, registry=default_registry(policy))
    r = read_label(out)
    assert len(r.found) == 2 and not r.errors  # XMP and tEXt agree


def test_ztxt_bomb_is_capped():
    data = image("PNG")
    bomb = zlib.compress(b"A" * (default_policy().max_xmp_bytes + 10), 9)
    bad = data[:33] + chunk(b"zTXt", b"AIGC\x00\x00" + bomb) + data[33:]
    r = read_label(bad)
    assert r.verdict == "inconclusive" and any("cap" in e for e in r.errors)


def test_truncated():
    truncated(image("PNG"), "a.png")


def test_huge_dimensions_labelled_without_decoding():
    """A 'decompression bomb' header: labeling never decodes pixels, so it is safe and lossless."""
    import struct

    data = bytearray(image("PNG"))
    struct.pack_into(">II", data, 16, 100_000, 100_000)
    struct.pack_into(">I", data, 29, zlib.crc32(bytes(data[12:29])))
    out = write_label(bytes(data), label())
    assert read_label(out).label == label() and _idat(out) == _idat(bytes(data))


def test_vendor_private_namespace_attribute_form_read_then_replaced():
    """Seen in the field: attribute form, wrapped JSON, a private namespace (reference §4.4, §5)."""
    pkt = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           '<rdf:Description rdf:about="" xmlns:AIGC="http://example.com/aigc/1.0/" AIGC:AIGC="'
           + label("v").to_json("wrapped").replace('"', "&quot;") + '"/></rdf:RDF></x:xmpmeta>')
    data = image("PNG")
    vendor = data[:33] + chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + pkt.encode()) + data[33:]
    r = read_label(vendor)
    assert r.label == label("v") and "non-standard namespace" in r.found[0].location
    out = read_label(write_label(vendor, label("ours")))
    assert out.label == label("ours") and len(out.found) == 1
