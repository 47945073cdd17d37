"""Visible text label on PDF pages (GB 45438-2025 §5.1: a text prompt with an AI element and a
generation element at the start of the document; Measures Art 4 ¶2: exported files carry it)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from hegui.labeling.api import read_label_file, write_label_file
from hegui.labeling.explicit import LabelTextInvalid, MediaUnsupported, apply_explicit
from tests.labeling.media import label


def _document(tmp: Path) -> Path:
    """Two text pages from WeasyPrint, then an A5 landscape page and a rotated page from pypdf."""
    from weasyprint import HTML

    body = HTML(string="<p>第一页 original text one</p><p style='page-break-before:always'>page two body</p>")
    w = PdfWriter(clone_from=PdfReader(io.BytesIO(body.write_pdf())))
    w.add_blank_page(595, 420)
    w.add_blank_page(300, 500).rotate(90)
    raw = tmp / "raw.pdf"
    with open(raw, "wb") as f:
        w.write(f)
    return raw


def _shown(page) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    w, h = float(page.mediabox.width), float(page.mediabox.height)
    return (h, w) if page.rotation % 180 else (w, h)


def test_pdf_pages_carry_visible_label_and_keep_everything_else(tmp_path: Path) -> None:
    src = tmp_path / "doc.pdf"
    write_label_file(_document(tmp_path), label("pdf-src-1"), dst=src)
    before = src.read_bytes()
    orig = PdfReader(src)

    out = apply_explicit(src, tmp_path / "out.pdf")

    assert src.read_bytes() == before
    r = PdfReader(out)
    assert len(r.pages) == len(orig.pages) == 4
    for page, old in zip(r.pages, orig.pages):
        text = page.extract_text()
        assert "AI生成" in text, text  # a real text label (selectable, searchable), not just a picture
        assert _shown(page) == _shown(old)  # same page as displayed (rotation may move into the content)
    assert "original text one" in r.pages[0].extract_text()
    assert "page two body" in r.pages[1].extract_text()
    fonts = {str(f.get_object().get("/BaseFont")) for p in r.pages
             for f in (p["/Resources"].get_object().get("/Font") or {}).values()}
    assert any("Noto" in f for f in fonts), fonts  # the shipped font, embedded
    got = read_label_file(out)
    assert got.label == label("pdf-src-1") and got.verdict == "compliant", got.to_dict()


def test_pdf_label_text_is_checked(tmp_path: Path) -> None:
    src = _document(tmp_path)
    with pytest.raises(LabelTextInvalid):
        apply_explicit(src, tmp_path / "out.pdf", text="仅供参考")
    assert not (tmp_path / "out.pdf").exists()


def test_encrypted_pdf_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    w = PdfWriter()
    w.add_blank_page(200, 200)
    w.encrypt("secret")
    src = tmp_path / "locked.pdf"
    with open(src, "wb") as f:
        w.write(f)
    with pytest.raises(MediaUnsupported) as ei:
        apply_explicit(src, tmp_path / "out.pdf")
    assert ei.value.message("zh") and "encrypted" in ei.value.message("en")
