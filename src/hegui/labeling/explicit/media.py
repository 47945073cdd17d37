"""Safe image decoding and format-preserving encoding for explicit labels and watermarks."""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from hegui.labeling.explicit.errors import (
    ImageTooLarge,
    MediaUnreadable,
    MediaUnsupported,
)

#: formats we re-encode after drawing; others are refused rather than silently converted
WRITABLE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP")


@dataclass
class DecodedImage:
    image: Image.Image
    format: str
    info: dict[str, Any] = field(default_factory=dict)
    exif: bytes | None = None
    icc: bytes | None = None


def _check_size(img: Image.Image, max_pixels: int) -> None:
    pixels = img.width * img.height
    if pixels > max_pixels:
        raise ImageTooLarge(pixels=pixels, limit=max_pixels)


def open_image(data: bytes, *, max_pixels: int) -> DecodedImage:
    """Decode ``data`` fully; raise precise errors for bombs, truncation and non-images.

    Pillow's own bomb guard is applied with our limit (``MAX_IMAGE_PIXELS``): its warning and
    ``DecompressionBombError`` both become :class:`ImageTooLarge`.
    """
    if not data:
        raise MediaUnreadable(detail="empty input")
    old_limit, old_trunc = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        Image.MAX_IMAGE_PIXELS = max_pixels
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                img = Image.open(io.BytesIO(data))
                _check_size(img, max_pixels)
                img.load()
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                found = re.search(r"\((\d+) pixels\)", str(exc))
                raise ImageTooLarge(pixels=found.group(1) if found else "?", limit=max_pixels) from exc
            except UnidentifiedImageError as exc:
                raise MediaUnreadable(detail="not a recognised image format") from exc
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                raise MediaUnreadable(detail=str(exc) or type(exc).__name__) from exc
    finally:
        Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = old_limit, old_trunc
    fmt = (img.format or "").upper()
    if fmt not in WRITABLE_FORMATS:
        raise MediaUnsupported(detail=f"image format {fmt or 'unknown'}")
    info = {str(k): v for k, v in img.info.items()}
    return DecodedImage(image=img, format=fmt, info=info, exif=info.get("exif"), icc=info.get("icc_profile"))


def working_rgb(img: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    """RGB copy to draw on, plus the alpha channel (if any) to put back afterwards."""
    alpha = None
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        alpha = rgba.getchannel("A")
        return rgba.convert("RGB"), alpha
    return img.convert("RGB"), None


def restore_mode(rgb: Image.Image, alpha: Image.Image | None, original_mode: str) -> Image.Image:
    """Back to the source's mode where that keeps quality (L, RGB, RGBA, CMYK); palettes stay RGB(A)."""
    if alpha is not None:
        out = rgb.convert("RGBA")
        out.putalpha(alpha)
        return out.convert("LA") if original_mode == "LA" else out
    if original_mode in ("L", "CMYK", "RGB"):
        return rgb.convert(original_mode) if original_mode != "RGB" else rgb
    return rgb


def encode_image(img: Image.Image, src: DecodedImage, *, jpeg_quality: int) -> bytes:
    """Encode in the source format, keeping EXIF, ICC and PNG text; JPEG at high quality."""
    fmt = src.format
    params: dict[str, Any] = {}
    if src.exif:
        params["exif"] = src.exif
    if src.icc:
        params["icc_profile"] = src.icc
    if fmt == "JPEG":
        if img.mode not in ("RGB", "L", "CMYK"):
            img = img.convert("RGB")
        params |= {"quality": jpeg_quality, "optimize": False}
        if src.info.get("progressive") or src.info.get("progression"):
            params["progressive"] = True
        if "dpi" in src.info:
            params["dpi"] = src.info["dpi"]
    elif fmt == "PNG":
        from PIL import PngImagePlugin

        meta = PngImagePlugin.PngInfo()
        for key, value in src.info.items():
            if isinstance(value, str) and key not in ("icc_profile", "exif"):
                if key in ("XML:com.adobe.xmp",):
                    meta.add_itxt(key, value)
                else:
                    meta.add_text(key, value)
        params["pnginfo"] = meta
        if "dpi" in src.info:
            params["dpi"] = src.info["dpi"]
    elif fmt == "WEBP":
        lossless = bool(src.info.get("lossless")) or getattr(src.image, "_webp_lossless", False)
        params |= {"lossless": lossless, "quality": 100 if lossless else jpeg_quality}
        if "xmp" in src.info:
            params["xmp"] = src.info["xmp"]
    elif fmt == "GIF":
        img = img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT) if img.mode != "P" else img
    elif fmt == "TIFF":
        params["compression"] = src.info.get("compression", "raw")
        params.pop("exif", None)
    out = io.BytesIO()
    try:
        img.save(out, format=fmt, **params)
    except (OSError, ValueError) as exc:
        raise MediaUnsupported(detail=f"cannot re-encode {fmt}: {exc}") from exc
    return out.getvalue()


def upright(src: DecodedImage) -> Image.Image:
    """The image as displayed (EXIF orientation applied, tag reset) so the label reads upright."""
    img = src.image
    if img.getexif().get(0x0112, 1) in (None, 1):
        return img
    turned = ImageOps.exif_transpose(img)
    src.exif = turned.info.get("exif", src.exif)
    return turned
