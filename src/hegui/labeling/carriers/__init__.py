"""Built-in carriers, one module per container format. ``default_registry()`` builds a fresh
:class:`~hegui.labeling.carrier.CarrierRegistry` from one explicit tuple (no import side effects)."""

from __future__ import annotations

from hegui.labeling.carrier import CarrierRegistry
from hegui.labeling.policy import LabelPolicy, default_policy

__all__ = ["BUILTIN_CARRIERS", "default_registry"]

# (module, class) — order matters only for sniffing (specific magic first).
BUILTIN_CARRIERS: tuple[tuple[str, str], ...] = (
    ("jpeg", "JpegCarrier"),
    ("png", "PngCarrier"),
    ("webp", "WebpCarrier"),
    ("gif", "GifCarrier"),
    ("tiff", "TiffCarrier"),
    ("heif", "HeifCarrier"),
    ("mp4", "Mp4Carrier"),
    ("mkv", "MkvCarrier"),
    ("avi", "AviCarrier"),
    ("flv", "FlvCarrier"),
    ("wav", "WavCarrier"),
    ("vorbis", "FlacCarrier"),
    ("vorbis", "OggCarrier"),
    ("mp3", "Mp3Carrier"),
    ("pdf", "PdfCarrier"),
    ("ooxml", "OoxmlCarrier"),
    ("html", "HtmlCarrier"),
    ("markdown", "MarkdownCarrier"),
)


def default_registry(policy: LabelPolicy | None = None) -> CarrierRegistry:
    """A new registry holding every built-in carrier configured with ``policy``."""
    from importlib import import_module

    policy = policy or default_policy()
    reg = CarrierRegistry()
    for module, cls in BUILTIN_CARRIERS:
        mod = import_module(f"hegui.labeling.carriers.{module}")  # a missing built-in is an error
        reg.register(getattr(mod, cls)(policy))
    return reg
