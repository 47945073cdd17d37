"""Image explicit label (GB 45438-2025 §5.2): both elements, edge/corner, glyph ≥ 5 % of the short side,
legible on any background, format and metadata kept."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from hegui.labeling.explicit import (
    GlyphMissing,
    LabelTextInvalid,
    Position,
    default_policy,
    geometry,
    glyph_height,
    label_image_bytes,
)

from .conftest import encode, photo


def _white_rows(arr: np.ndarray) -> np.ndarray:
    """Rows holding the label's light text (the background and the box are black)."""
    return np.where((arr.min(axis=2) >= 128).any(axis=1))[0]


@pytest.mark.parametrize(("w", "h"), [(400, 300), (300, 900), (1600, 200), (64, 64)])
def test_glyph_height_at_least_five_percent_of_short_side(w: int, h: int) -> None:
    black = np.zeros((h, w, 3), dtype=np.uint8)
    out = np.asarray(Image.open(io.BytesIO(label_image_bytes(encode(black, "PNG"), text="AI生成"))).convert("RGB"))
    rows = _white_rows(out)
    ink = rows.max() - rows.min() + 1
    assert ink >= 0.05 * min(w, h)
    geo = geometry(w, h, "AI生成", Position.BOTTOM_RIGHT, default_policy().image)
    assert geo.glyph_px >= 0.05 * min(w, h)  # every letter, not only the tall Han glyphs


def test_glyph_height_measures_the_smallest_character() -> None:
    assert glyph_height("AI生成", 100) == glyph_height("AI", 100) < glyph_height("生成", 100)


@pytest.mark.parametrize("position", list(Position))
def test_label_sits_on_the_requested_edge_or_corner(position: Position) -> None:
    w, h = 400, 300
    src = np.full((h, w, 3), 128, dtype=np.uint8)
    out = np.asarray(Image.open(io.BytesIO(label_image_bytes(encode(src, "PNG"), position=position))).convert("RGB"))
    changed = np.argwhere(np.abs(out.astype(int) - 128).max(axis=2) > 0)
    (y0, x0), (y1, x1) = changed.min(axis=0), changed.max(axis=0)
    top, left = y0 < h / 4, x0 < w / 4
    if position.value.startswith("top"):
        assert top and y1 < h / 2
    else:
        assert y0 > h / 2
    if position.value.endswith("left"):
        assert left and x1 < w / 2
    elif position.value.endswith("right"):
        assert x0 > w / 2 and x1 >= w - 20
    else:
        assert abs((x0 + x1) / 2 - w / 2) < 3


@pytest.mark.parametrize("bg", [0, 255, 128])
def test_legible_on_black_white_and_grey(bg: int) -> None:
    src = np.full((300, 400, 3), bg, dtype=np.uint8)
    out = np.asarray(Image.open(io.BytesIO(label_image_bytes(encode(src, "PNG")))).convert("L"), dtype=float)
    box = out[-80:, -160:]
    # white text fill next to dark outline/box pixels inside the label area
    assert box.max() >= 250 and box.min() <= 60


def test_custom_text_and_refusals() -> None:
    data = encode(photo(), "PNG")
    assert label_image_bytes(data, text="人工智能合成") != label_image_bytes(data)
    with pytest.raises(LabelTextInvalid):
        label_image_bytes(data, text="仅供参考")  # no AI element, no generation element
    with pytest.raises(GlyphMissing) as err:
        label_image_bytes(data, text="AI生成🙂")
    assert "🙂" in err.value.message("zh")
    with pytest.raises(LabelTextInvalid):
        label_image_bytes(encode(photo(120, 40), "PNG"), text="AI生成 " * 20)  # cannot fit at ≥ 5 %


@pytest.mark.parametrize(("fmt", "kw"), [("JPEG", {"quality": 90}), ("PNG", {}), ("WEBP", {"quality": 90}),
                                         ("GIF", {}), ("TIFF", {}), ("BMP", {})])
def test_format_is_kept(fmt: str, kw: dict[str, object]) -> None:
    out = Image.open(io.BytesIO(label_image_bytes(encode(photo(), fmt, **kw))))
    assert out.format == fmt and out.size == (400, 300)


def test_jpeg_keeps_exif_icc_and_high_quality() -> None:
    img = Image.fromarray(photo())
    exif = Image.Exif()
    exif[0x010F] = "hegui-test-camera"
    icc = b"\x00" * 8 + b"fake-icc-profile"
    out = Image.open(io.BytesIO(label_image_bytes(encode(img, "JPEG", quality=92, exif=exif, icc_profile=icc))))
    assert out.getexif()[0x010F] == "hegui-test-camera"
    assert out.info.get("icc_profile") == icc
    q = out.quantization[0]
    assert max(q) <= 20  # quality ≥ 90-ish tables, not the default 75


def test_png_text_chunks_and_alpha_are_kept() -> None:
    arr = np.dstack([photo(), np.full((300, 400), 200, dtype=np.uint8)])
    meta = PngImagePlugin.PngInfo()
    meta.add_text("Comment", "keep me")
    out = Image.open(io.BytesIO(label_image_bytes(encode(Image.fromarray(arr, "RGBA"), "PNG", pnginfo=meta))))
    assert out.mode == "RGBA" and out.info["Comment"] == "keep me"
    assert np.asarray(out)[:50, :50, 3].min() == 200


def test_exif_orientation_is_applied_so_the_label_reads_upright() -> None:
    img = Image.fromarray(photo(400, 300))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90° clockwise for display
    out = Image.open(io.BytesIO(label_image_bytes(encode(img, "JPEG", exif=exif), position=Position.BOTTOM_RIGHT)))
    assert out.size == (300, 400)  # stored upright now
    assert out.getexif().get(0x0112, 1) == 1


def test_animated_gif_gets_the_label_on_every_frame() -> None:
    frames = [Image.fromarray(np.full((120, 160, 3), c, dtype=np.uint8)) for c in (30, 200)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    out = Image.open(io.BytesIO(label_image_bytes(buf.getvalue())))
    assert out.n_frames == 2
    for i in range(2):
        out.seek(i)
        corner = np.asarray(out.convert("L"))[-30:, -70:]
        assert corner.max() >= 240
