"""The bundled label font (a Noto Sans CJK SC subset, SIL OFL 1.1) — never a system font.

``data/fonts/covered-chars.txt`` lists the non-ASCII characters the subset covers; printable ASCII
is always covered. See ``data/fonts/README.md`` for how the subset is rebuilt.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable

from PIL import ImageFont

from hegui.labeling.explicit.errors import GlyphMissing

FONT_FILE = "NotoSansCJKsc-Bold-subset.otf"


def _fonts_dir() -> Traversable:
    return resources.files("hegui").joinpath("data", "fonts")


@lru_cache(maxsize=1)
def covered_chars() -> frozenset[str]:
    extra = _fonts_dir().joinpath("covered-chars.txt").read_text("utf-8").strip()
    return frozenset(extra) | frozenset(map(chr, range(0x20, 0x7F)))


def check_text(text: str) -> None:
    """Raise :class:`GlyphMissing` if the font cannot draw ``text`` (no tofu boxes in labels)."""
    missing = sorted({c for c in text if c not in covered_chars()})
    if missing:
        raise GlyphMissing(chars="".join(missing))


@lru_cache(maxsize=64)
def label_font(size: int) -> ImageFont.FreeTypeFont:
    with resources.as_file(_fonts_dir().joinpath(FONT_FILE)) as path:
        return ImageFont.truetype(str(path), size=max(1, size))
