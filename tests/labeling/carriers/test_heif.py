import pytest

from hegui.labeling import write_label
from tests.labeling.carriers.harness import roundtrip, truncated
from tests.labeling.media import image, label, pixels


@pytest.fixture(scope="module")
def avif():
    from PIL import features

    if not features.check("avif"):
        pytest.skip("this Pillow build cannot write AVIF")
    return image("AVIF", size=(40, 24), quality=60)


def test_avif_roundtrip_pixels_identical(avif):
    out = roundtrip(avif, "a.avif", "heif", pixels)
    assert out.startswith(avif[:24])  # ftyp untouched


def test_coded_item_bytes_unchanged(avif):
    from hegui.labeling.carriers._isobmff import top_level

    out = write_label(avif, label())
    mdat_in = [avif[b.body:b.end] for b in top_level(avif) if b.type == b"mdat"]
    mdat_out = [out[b.body:b.end] for b in top_level(out) if b.type == b"mdat"]
    assert mdat_out[0] == mdat_in[0] and len(mdat_out) == 2


def test_truncated(avif):
    truncated(avif, "a.avif", cut=60)
