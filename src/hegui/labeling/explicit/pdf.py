"""Explicit label on PDF documents (GB 45438-2025 §5.1: a text prompt with an AI element and a
generation element, at the start of the text; Measures Art 4 ¶2: the exported file carries it).

Every page gets a real text label (selectable, found by text search) in its top-right corner, drawn
with the shipped Noto Sans CJK subset (WeasyPrint embeds the CFF font; reportlab cannot). The
overlay is rendered once per page size and merged with pypdf; the original page content is kept.
"""

from __future__ import annotations

import io
from functools import lru_cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from hegui.labeling.explicit.atomic import temp_output
from hegui.labeling.explicit.carry import carry_implicit
from hegui.labeling.explicit.errors import MediaUnreadable, MediaUnsupported
from hegui.labeling.explicit.font import FONT_FILE
from hegui.labeling.explicit.image import validate_text

#: choice: label font size in points, as a fraction of the page's shorter side (no size rule in §5.1)
FONT_RATIO = 0.025
MIN_FONT_PT = 9.0
#: choice: largest PDF handled (pypdf works in memory)
MAX_PDF_BYTES = 512 << 20


@lru_cache(maxsize=16)
def _overlay(width: float, height: float, text: str) -> bytes:
    """A one-page PDF of ``width`` × ``height`` points holding only the label (top-right corner)."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    size = max(MIN_FONT_PT, FONT_RATIO * min(width, height))
    margin = size * 0.8
    fonts = FontConfiguration()
    with resources.as_file(resources.files("hegui").joinpath("data", "fonts", FONT_FILE)) as font:
        html = f"""<html><head><style>
@font-face {{ font-family: HeguiLabel; src: url("{font.as_uri()}"); }}
@page {{ size: {width:.3f}pt {height:.3f}pt; margin: 0; }}
html, body {{ margin: 0; padding: 0; background: transparent; }}
.l {{ position: absolute; top: {margin:.2f}pt; right: {margin:.2f}pt; font: {size:.2f}pt/1.25 HeguiLabel;
      color: #fff; background: rgba(0, 0, 0, .6); padding: {size * .2:.2f}pt {size * .45:.2f}pt;
      white-space: nowrap; }}
</style></head><body><div class="l">{escape(text)}</div></body></html>"""
        return HTML(string=html).write_pdf(font_config=fonts)


def label_pdf(src: Path, dst: Path, *, text: str = "AI生成") -> Path:
    """Write ``dst`` = ``src`` with the visible label on every page; ``src`` is never modified."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PyPdfError

    validate_text(text)
    if src.stat().st_size > MAX_PDF_BYTES:
        raise MediaUnsupported(detail=f"PDF larger than {MAX_PDF_BYTES} bytes")
    try:
        reader = PdfReader(src, strict=False)
        if reader.is_encrypted:
            raise MediaUnsupported(detail="encrypted PDF (decrypt it first) / 加密的 PDF")
        writer = PdfWriter(clone_from=reader)
        for page in writer.pages:
            _stamp(page, text)
    except (MediaUnsupported, MediaUnreadable):
        raise
    except (PyPdfError, KeyError, ValueError, TypeError, AttributeError, RecursionError, OSError) as exc:
        raise MediaUnreadable(detail=f"PDF: {exc}") from exc
    with temp_output(dst) as out:
        with open(out, "wb") as f:
            writer.write(f)
        carry_implicit(src, out)
    return dst


def _stamp(page: Any, text: str) -> None:
    from pypdf import PdfReader

    if page.rotation % 360:
        page.transfer_rotation_to_content()  # the label must read upright as displayed
    box = page.cropbox
    width, height = float(box.width), float(box.height)
    if width <= 0 or height <= 0:
        raise MediaUnreadable(detail="PDF page with an empty crop box")
    overlay = PdfReader(io.BytesIO(_overlay(round(width, 3), round(height, 3), text))).pages[0]
    page.merge_translated_page(overlay, float(box.left), float(box.bottom), over=True)
