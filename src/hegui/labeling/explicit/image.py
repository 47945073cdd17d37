"""Visible label on images and video frames (GB 45438-2025 §5.2, §5.4; Labeling Measures Art 4).

The label is text naming both elements ("AI生成"), at an edge or corner, with every character's ink
height ≥ ``min_glyph_ratio`` (5 %) of the shortest side, white with a dark outline on a dark
translucent box so it stays legible on any background.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw

from hegui.labeling.explicit.config import ImagePolicy
from hegui.labeling.explicit.errors import LabelTextInvalid
from hegui.labeling.explicit.font import check_text, label_font
from hegui.labeling.text import has_both_elements

_MEASURE_SIZE = 200


class Position(str, enum.Enum):
    """Corner or edge (§5.2 c: "图片的边缘或角落")."""

    TOP_LEFT = "top-left"
    TOP_RIGHT = "top-right"
    BOTTOM_LEFT = "bottom-left"
    BOTTOM_RIGHT = "bottom-right"
    TOP = "top"
    BOTTOM = "bottom"


@dataclass(frozen=True, slots=True)
class Geometry:
    font_size: int
    glyph_px: int  # smallest ink height of any letter/digit/Han character of the text
    box: tuple[int, int, int, int]  # left, top, right, bottom of the contrast box
    text_xy: tuple[int, int]
    stroke: int


def _is_measured(ch: str) -> bool:
    return ch.isalnum()  # Latin letters, digits and Han characters (punctuation is exempt)


@lru_cache(maxsize=256)
def _ink_height(ch: str, size: int) -> int:
    _, top, _, bottom = label_font(size).getbbox(ch)
    return int(bottom - top)


def glyph_height(text: str, size: int) -> int:
    """Smallest ink height (px) of the text's letters, digits and Han characters at ``size``."""
    heights = [_ink_height(c, size) for c in set(text) if _is_measured(c)]
    if not heights:
        raise LabelTextInvalid(text=text)
    return min(heights)


def validate_text(text: str) -> None:
    if not text.strip() or not has_both_elements(text):
        raise LabelTextInvalid(text=text)
    check_text(text)


def geometry(width: int, height: int, text: str, position: Position, policy: ImagePolicy) -> Geometry:
    """Where and how large to draw ``text`` so that glyphs reach ``glyph_ratio`` of the short side."""
    short = min(width, height)
    target = max(1, math.ceil(policy.glyph_ratio * short))
    floor = max(1, math.ceil(policy.min_glyph_ratio * short))
    ratio = glyph_height(text, _MEASURE_SIZE) / _MEASURE_SIZE
    size = max(1, math.ceil(target / ratio))
    while glyph_height(text, size) < target:  # rounding in the rasteriser
        size += 1
    font = label_font(size)
    margin = math.ceil(policy.margin_ratio * short)
    while True:
        stroke = round(size * 0.06) if size >= 16 else 0  # thin glyphs: the box alone gives contrast
        left, top, right, bottom = (int(v) for v in font.getbbox(text, stroke_width=stroke))
        pad = max(2, round(size * 0.25))
        bw, bh = right - left + 2 * pad, bottom - top + 2 * pad
        if bw + 2 * margin <= width and bh + 2 * margin <= height:
            break
        if glyph_height(text, size - 1) < floor or size <= 1:
            raise LabelTextInvalid(message_en=f"label text {text!r} is too long for a {width}x{height} image at "
                                   "the minimum glyph height (GB 45438 §5.2 e)",
                                   message_zh=f"标识文字 {text!r} 过长，无法以最小字高放入 {width}x{height} 的图片",
                                   text=text)
        size -= 1
        font = label_font(size)
    x0 = {Position.TOP_LEFT: margin, Position.BOTTOM_LEFT: margin,
          Position.TOP_RIGHT: width - margin - bw, Position.BOTTOM_RIGHT: width - margin - bw,
          Position.TOP: (width - bw) // 2, Position.BOTTOM: (width - bw) // 2}[position]
    y0 = margin if position in (Position.TOP_LEFT, Position.TOP_RIGHT, Position.TOP) else height - margin - bh
    return Geometry(font_size=size, glyph_px=glyph_height(text, size), box=(x0, y0, x0 + bw, y0 + bh),
                    text_xy=(x0 + pad - left, y0 + pad - top), stroke=stroke)


def draw_label(img: Image.Image, text: str, *, position: Position, policy: ImagePolicy) -> tuple[Image.Image, Geometry]:
    """Return a copy of the RGB/RGBA ``img`` with the label drawn, and where it went."""
    validate_text(text)
    geo = geometry(img.width, img.height, text, position, policy)
    base = img.convert("RGBA")
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    radius = max(1, (geo.box[3] - geo.box[1]) // 5)
    draw.rounded_rectangle(geo.box, radius=radius, fill=(0, 0, 0, round(255 * policy.box_opacity)))
    draw.text(geo.text_xy, text, font=label_font(geo.font_size), fill=(255, 255, 255, 255),
              stroke_width=geo.stroke, stroke_fill=(0, 0, 0, 255))
    out = Image.alpha_composite(base, layer)
    return (out if img.mode == "RGBA" else out.convert(img.mode if img.mode in ("RGB", "L") else "RGB")), geo


def label_layer(width: int, height: int, text: str, *, position: Position, policy: ImagePolicy) -> Image.Image:
    """A transparent RGBA canvas holding only the label (for video overlays)."""
    canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    out, _ = draw_label(canvas, text, position=position, policy=policy)
    return out
