"""Explicit label in plain-text and Markdown files (GB 45438-2025 §5.1; Measures Art 4 ¶2).

Uses :class:`hegui.labeling.text.TextLabel` (prefix/suffix forms). In Markdown the prefix goes after
any YAML front matter so the implicit label there stays the first thing in the file.
"""

from __future__ import annotations

from pathlib import Path

from hegui.labeling.explicit.atomic import write_atomic
from hegui.labeling.explicit.errors import MediaUnreadable
from hegui.labeling.text import TextLabel

TEXT_SUFFIXES = (".txt", ".md", ".markdown")


def label_text(text: str, *, label: TextLabel, markdown: bool) -> str:
    if label.is_applied(text.split("---", 2)[-1].lstrip("\n") if markdown and text.startswith("---") else text):
        return text  # already labelled: never stack labels
    if markdown and text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end != -1:
            cut = text.find("\n", end + 4)
            cut = len(text) if cut == -1 else cut + 1
            return text[:cut] + label.apply(text[cut:])
    return label.apply(text)


def label_document(src: Path, dst: Path, *, label: TextLabel) -> Path:
    raw = src.read_bytes()
    try:
        text = raw.decode("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError as exc:
        raise MediaUnreadable(detail=f"{src.name} is not UTF-8 text") from exc
    out = label_text(text, label=label, markdown=src.suffix.lower() in (".md", ".markdown"))
    return write_atomic(dst, out.encode("utf-8"))
