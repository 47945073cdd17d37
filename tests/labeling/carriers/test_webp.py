import pytest

from hegui.labeling import read_label, write_label
from hegui.labeling.carriers.webp import riff_chunks
from tests.labeling.carriers.harness import roundtrip, truncated
from tests.labeling.media import image, label, pixels


def _bitstream(data: bytes) -> bytes:
    return b"".join(data[o:o + 8 + n] for c, o, n in riff_chunks(data, b"WEBP") if c in (b"VP8 ", b"VP8L", b"ALPH"))


@pytest.mark.parametrize("kw", [{"lossless": False, "quality": 80}, {"lossless": True}], ids=["vp8", "vp8l"])
def test_simple_to_extended_roundtrip(kw):
    data = image("WEBP", **kw)
    out = roundtrip(data, "a.webp", "webp", pixels)
    cs = riff_chunks(out, b"WEBP")
    assert cs[0][0] == b"VP8X" and out[cs[0][1] + 8] & 0x04  # XMP flag set
    assert cs[-1][0] == b"XMP "
    assert _bitstream(out) == _bitstream(data)


def test_alpha_flag_kept_for_lossless_alpha():
    import io

    from PIL import Image

    im = Image.new("RGBA", (20, 10), (255, 0, 0, 0))
    im.putpixel((3, 3), (0, 255, 0, 128))
    buf = io.BytesIO()
    im.save(buf, "WEBP", lossless=True)
    data = buf.getvalue()
    out = write_label(data, label())
    cs = riff_chunks(out, b"WEBP")
    assert out[cs[0][1] + 8] & 0x10
    assert pixels(out) == pixels(data)


def test_canvas_size_matches_bitstream():
    import io

    from PIL import Image

    out = write_label(image("WEBP", size=(301, 77)), label())
    assert Image.open(io.BytesIO(out)).size == (301, 77)


def test_truncated():
    truncated(image("WEBP"), "a.webp")


def test_wrong_extension_is_detected_by_content():
    r = read_label(write_label(image("WEBP"), label(), filename="x.png"), filename="x.png")
    assert r.carrier == "webp" and any("extension" in w for w in r.warnings)
