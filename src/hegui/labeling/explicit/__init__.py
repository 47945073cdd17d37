"""Explicit (visible/audible) AIGC labels for every modality (GB 45438-2025 §5; Labeling Measures
Art 4, including ¶2: exported files carry the label in the file itself).

:func:`apply_explicit` sniffs the media type from the content (not the extension), writes ``dst``
atomically (temp file + fsync + rename) and never modifies ``src``.
"""

from __future__ import annotations

from pathlib import Path

from hegui.labeling.explicit.atomic import write_atomic
from hegui.labeling.explicit.audio import AudioMode, AudioWhere, label_audio, rhythm_cue
from hegui.labeling.explicit.config import ExplicitPolicy, ImagePolicy, default_policy, load_policy
from hegui.labeling.explicit.document import TEXT_SUFFIXES, label_document
from hegui.labeling.explicit.errors import (
    ExportRefused,
    GlyphMissing,
    ImageTooLarge,
    LabelTextInvalid,
    MediaUnreadable,
    MediaUnsupported,
    OutputNotWritable,
    ToolFailed,
    ToolMissing,
)
from hegui.labeling.explicit.ffmpeg import probe
from hegui.labeling.explicit.image import Position, draw_label, geometry, glyph_height
from hegui.labeling.explicit.image_file import label_image_bytes
from hegui.labeling.text import TextLabel

__all__ = ["AudioMode", "AudioWhere", "ExplicitPolicy", "ExportRefused", "GlyphMissing", "ImageTooLarge",
           "LabelTextInvalid", "MediaUnreadable", "MediaUnsupported", "OutputNotWritable", "Position",
           "ToolFailed", "ToolMissing", "apply_explicit", "check_image_file", "default_policy", "draw_label", "geometry",
           "glyph_height", "label_audio", "label_image_bytes", "load_policy", "rhythm_cue", "sniff"]

_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*", b"BM")


def sniff(src: Path) -> str:
    """``image``, ``video``, ``audio``, ``pdf`` or ``text`` from the file's content (extension only for text)."""
    with open(src, "rb") as f:
        head = f.read(16)
    if not head:
        raise MediaUnreadable(detail=f"{src.name} is empty")
    if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if src.suffix.lower() in TEXT_SUFFIXES:
        return "text"
    info = probe(src)
    return "video" if info.has_video else "audio"


def check_image_file(src: Path, policy: ImagePolicy) -> None:
    """Before an image file is read into memory and decoded: refuse it above ``max_bytes`` and when
    its container structure already breaks a processing limit (hostile chunk sizes or counts)."""
    from hegui.labeling.api import read_label_file
    from hegui.labeling.errors import LabelFileTooLarge

    size = src.stat().st_size
    if size > policy.max_bytes:
        raise LabelFileTooLarge(detail=f"{src.name}: {size} bytes, image limit {policy.max_bytes}")
    checked = read_label_file(src)
    if checked.too_large:
        raise LabelFileTooLarge(detail=f"{src.name}: " + "; ".join(checked.errors)[:300])


def apply_explicit(src: Path, dst: Path, *, text: str = "AI生成", position: Position | str | None = None,
                   audio_mode: AudioMode | str = AudioMode.RHYTHM, policy: ExplicitPolicy | None = None) -> Path:
    """Write ``dst``: ``src`` with its explicit label. ``position`` is a corner/edge for images and
    video, ``start``/``end``/``both`` for audio. Returns ``dst``; ``src`` is never modified."""
    src, dst = Path(src), Path(dst)
    if dst.exists() and src.resolve() == dst.resolve():
        raise OutputNotWritable(path=str(dst), detail="the output must not overwrite the original")
    try:
        kind = sniff(src)
    except OSError as exc:
        raise MediaUnreadable(detail=f"{src}: {exc.strerror or exc}") from exc
    policy = policy or default_policy()
    if kind == "image":
        check_image_file(src, policy.image)
        out = label_image_bytes(src.read_bytes(), text=text, position=Position(position or Position.BOTTOM_RIGHT),
                                policy=policy.image)
        return write_atomic(dst, out)
    if kind == "video":
        from hegui.labeling.explicit.video import label_video

        return label_video(src, dst, text=text, position=Position(position or Position.BOTTOM_RIGHT), policy=policy)
    if kind == "audio":
        return label_audio(src, dst, where=AudioWhere(position or AudioWhere.START), mode=AudioMode(audio_mode),
                           policy=policy)
    if kind == "pdf":
        from hegui.labeling.explicit.pdf import label_pdf

        return label_pdf(src, dst, text=text)
    return label_document(src, dst, label=TextLabel(prefix=f"【{text}】"))
