"""Text and Markdown files carry the explicit label in the file (GB 45438-2025 §5.1; Measures Art 4 ¶2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hegui.labeling.explicit import MediaUnreadable, apply_explicit


def test_plain_text_gets_prefix(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text("正文内容", encoding="utf-8")
    out = apply_explicit(src, tmp_path / "b.txt")
    assert out.read_text("utf-8") == "【AI生成】正文内容"
    again = apply_explicit(out, tmp_path / "c.txt")
    assert again.read_text("utf-8") == "【AI生成】正文内容"  # never stacked


def test_markdown_label_goes_after_front_matter(tmp_path: Path) -> None:
    src = tmp_path / "a.md"
    src.write_text('---\nAIGC:\n  Label: "1"\n---\n# 标题\n', encoding="utf-8")
    text = apply_explicit(src, tmp_path / "b.md").read_text("utf-8")
    assert text.startswith('---\nAIGC:\n  Label: "1"\n---\n【AI生成】# 标题')


def test_non_utf8_text_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_bytes("中文".encode("gbk") + b"\xff\xfe\xfa")
    with pytest.raises(MediaUnreadable):
        apply_explicit(src, tmp_path / "b.txt")
    assert not (tmp_path / "b.txt").exists()
