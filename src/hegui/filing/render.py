"""HTML pages and the one-PDF dossier. Pages are Jinja2 templates (``data/filing/``), autoescaped:
every value in them is operator- or user-controlled. The PDF goes through the assessment report's
WeasyPrint path (the CJK font embedded, nothing fetched but the font)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from hegui.filing.model import Doc

CJK_FAMILY = "Noto Sans CJK SC"
_html = Environment(loader=PackageLoader("hegui", "data/filing"), autoescape=select_autoescape(default=True),
                    trim_blocks=True, lstrip_blocks=True)
_text = Environment(loader=PackageLoader("hegui", "data/filing"), autoescape=False, undefined=StrictUndefined,
                    keep_trailing_newline=True)


def text(template: str, **values: Any) -> str:
    """A plain-text template (mechanism statement, letters) filled from settings."""
    return _text.get_template(template).render(**values)


def text_doc(body: str, signatures: Sequence[str] = ()) -> Doc:
    """A Doc from a text whose first line is ``# title zh / title en`` and paragraphs are blank-line separated."""
    head, _, rest = body.partition("\n")
    title = head.lstrip("# ").strip()
    zh, _, en = title.partition(" / ")
    doc = Doc(zh, en or zh, signatures=list(signatures))
    doc.section("", [p.strip() for p in rest.split("\n\n") if p.strip()])
    return doc


def _font_url() -> str:
    from hegui.assessment.report.charts import cjk_font_file

    font = cjk_font_file()
    return font.as_uri() if font else ""


def page_html(doc: Doc, *, font: bool = True) -> str:
    """One piece's page (HTML with blanks to sign)."""
    return _html.get_template("dossier.html.j2").render(
        title=doc.title_zh, cover=None, toc=[], annexes=[], docs=[doc],
        font_url=_font_url() if font else "", font_family=CJK_FAMILY)


def dossier_html(cover: Mapping[str, Any], toc: Sequence[Mapping[str, Any]], docs: Sequence[Doc],
                 annexes: Sequence[str]) -> str:
    return _html.get_template("dossier.html.j2").render(
        title=cover["title_zh"], cover=cover, toc=toc, annexes=annexes, docs=docs,
        font_url=_font_url(), font_family=CJK_FAMILY)


def pdf_bytes(html: str, attachments: Sequence[Path] = ()) -> bytes:
    """``html`` as PDF, then the ``attachments`` (PDF files) appended in order (pypdf)."""
    from pypdf import PdfReader, PdfWriter
    from weasyprint import HTML

    from hegui.assessment.report.charts import cjk_font_file
    from hegui.assessment.report.render import _fetcher

    font = cjk_font_file()
    main = HTML(string=html, url_fetcher=_fetcher({font.as_uri()} if font else set())).write_pdf()
    if not attachments:
        return main
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(main)))
    for path in attachments:
        writer.append(PdfReader(str(path)))
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()
