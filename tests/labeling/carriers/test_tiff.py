import pytest

from hegui.labeling import write_label
from hegui.labeling.errors import LabelCarrierUnsupported
from tests.labeling.carriers.harness import roundtrip, truncated
from tests.labeling.media import image, label, pixels


@pytest.mark.parametrize("compression", ["raw", "tiff_lzw"])
def test_roundtrip(compression):
    roundtrip(image("TIFF", compression=compression), "a.tif", "tiff", pixels)


def _be_tiff() -> bytes:
    import struct

    entries = [(256, 3, 1, 2), (257, 3, 1, 2), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, 1, 8 + 2 + 9 * 12 + 4), (277, 3, 1, 1), (278, 3, 1, 2), (279, 4, 1, 4)]
    ifd = struct.pack(">H", len(entries))
    for tag, typ, count, val in entries:
        ifd += struct.pack(">HHI", tag, typ, count) + (struct.pack(">HH", val, 0) if typ == 3 else struct.pack(">I", val))
    return b"MM\x00*" + struct.pack(">I", 8) + ifd + struct.pack(">I", 0) + bytes([10, 200, 30, 250])


def test_big_endian_hand_built():
    roundtrip(_be_tiff(), "be.tif", "tiff", pixels)


def test_bigtiff_unsupported_precisely():
    with pytest.raises(LabelCarrierUnsupported):
        write_label(b"II+\x00\x08\x00\x00\x00" + b"\x00" * 32, label())


def test_truncated():
    truncated(image("TIFF"), "a.tif", cut=6)
