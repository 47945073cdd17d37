"""The demo face-swap model ``hegui-demo-face-swap`` (DS Provisions Arts 14, 17).

Honest and local, and only a demo: it finds the face in each image (dlib's HOG frontal-face
detector when ``dlib`` is installed; otherwise the largest skin-coloured region in YCbCr; otherwise
the upper centre), carries the source face's colours over to the target's, and blends the source
face into the target's face box through a feathered elliptical mask. No landmarks, no identity
model: a real face-swap model plugs in through the upstream seam (``likeness_api``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps, UnidentifiedImageError

from hegui.errors import ValidationFailed

MODEL = "hegui-demo-face-swap"
MAX_PIXELS = 16_000_000
MAX_SIDE = 8_192
DETECT_SIDE = 640  # faces are looked for on a copy at most this wide or high


@dataclass(frozen=True, slots=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def grown(self, factor: float, w: int, h: int) -> Box:
        dx, dy = int(self.width * factor / 2), int(self.height * factor / 2)
        return Box(max(0, self.left - dx), max(0, self.top - dy), min(w, self.right + dx), min(h, self.bottom + dy))


@dataclass(frozen=True, slots=True)
class FaceSwap:
    png: bytes
    source_box: Box
    target_box: Box
    detector: str  # dlib | skin | centre (the target's)


def open_rgb(data: bytes, what: str) -> Image.Image:
    """An upright RGB image from attacker-controlled bytes, bounded in pixels."""
    if not data:
        raise ValidationFailed(message_en=f"the {what} image is empty", message_zh=f"{what} 图像为空")
    try:
        img = Image.open(io.BytesIO(data))
        w, h = img.size
        if w * h > MAX_PIXELS or max(w, h) > MAX_SIDE:
            raise ValidationFailed(message_en=f"the {what} image is too large ({w}×{h}; at most {MAX_PIXELS} pixels)",
                                   message_zh=f"{what} 图像过大（{w}×{h}；至多 {MAX_PIXELS} 像素）")
        img = ImageOps.exif_transpose(img)
        return img.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as exc:
        raise ValidationFailed(message_en=f"the {what} image could not be read: {type(exc).__name__}",
                               message_zh=f"无法读取 {what} 图像：{type(exc).__name__}") from exc


_DETECTOR: list = []


def _detector():  # noqa: ANN202 - dlib's HOG detector, built once (it ships inside the dlib wheel)
    import dlib

    if not _DETECTOR:
        _DETECTOR.append(dlib.get_frontal_face_detector())
    return _DETECTOR[0]


def _dlib_box(img: Image.Image) -> Box | None:
    try:
        import dlib
    except ImportError:
        return None
    scale = min(1.0, DETECT_SIDE / max(img.size))
    small = img.resize((max(1, int(img.width * scale)), max(1, int(img.height * scale)))) if scale < 1 else img
    upsample = 1 if min(small.size) < 320 else 0  # dlib finds faces ≥ 80 px; upsample only small images
    found = _detector()(np.asarray(small.convert("L")), upsample)
    if not found:
        return None
    r = max(found, key=lambda d: d.width() * d.height())
    return Box(int(max(0, r.left()) / scale), int(max(0, r.top()) / scale),
               int(min(small.width, r.right()) / scale), int(min(small.height, r.bottom()) / scale))


def _skin_box(img: Image.Image) -> Box | None:
    """The bulk of the skin-coloured pixels (Cb 77–127, Cr 133–173) after an opening that removes
    speckle (5 px min then max filter): the inner 5–95 % of each axis."""
    scale = min(1.0, DETECT_SIDE / max(img.size))
    small = img.resize((max(1, int(img.width * scale)), max(1, int(img.height * scale)))) if scale < 1 else img
    ycc = np.asarray(small.convert("YCbCr"), dtype=np.int16)
    raw = (ycc[..., 1] >= 77) & (ycc[..., 1] <= 127) & (ycc[..., 2] >= 133) & (ycc[..., 2] <= 173)
    opened = Image.fromarray((raw * 255).astype(np.uint8)).filter(ImageFilter.MinFilter(5)).filter(ImageFilter.MaxFilter(5))
    mask = np.asarray(opened) > 0
    if mask.mean() < 0.005:
        return None
    ys, xs = np.nonzero(mask)
    x0, x1 = np.percentile(xs, [5, 95])
    y0, y1 = np.percentile(ys, [5, 95])
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    return Box(int(x0 / scale), int(y0 / scale), int(x1 / scale), int(y1 / scale))


def find_face(img: Image.Image) -> tuple[Box, str]:
    box = _dlib_box(img)
    if box is not None and box.width > 4 and box.height > 4:
        return box, "dlib"
    box = _skin_box(img)
    if box is not None:
        return box, "skin"
    w, h = img.size
    return Box(int(w * 0.3), int(h * 0.15), int(w * 0.7), int(h * 0.65)), "centre"


def _match_colours(src: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per-channel mean and spread of ``src`` moved to those of ``ref`` (Reinhard-style, in RGB)."""
    s_mean, s_std = src.reshape(-1, 3).mean(0), src.reshape(-1, 3).std(0) + 1e-6
    r_mean, r_std = ref.reshape(-1, 3).mean(0), ref.reshape(-1, 3).std(0) + 1e-6
    return np.clip((src - s_mean) / s_std * r_std + r_mean, 0, 255)


def swap(source: bytes, target: bytes) -> FaceSwap:
    """The target image with its face replaced by the source's face (PNG)."""
    src, dst = open_rgb(source, "source"), open_rgb(target, "target")
    s_box, _ = find_face(src)
    t_box, detector = find_face(dst)
    s_box, t_box = s_box.grown(0.2, *src.size), t_box.grown(0.2, *dst.size)
    face = src.crop((s_box.left, s_box.top, s_box.right, s_box.bottom)).resize((t_box.width, t_box.height),
                                                                                Image.LANCZOS)
    region = dst.crop((t_box.left, t_box.top, t_box.right, t_box.bottom))
    matched = _match_colours(np.asarray(face, dtype=np.float64), np.asarray(region, dtype=np.float64))
    mask = Image.new("L", (t_box.width, t_box.height), 0)
    inset_x, inset_y = max(1, t_box.width // 10), max(1, t_box.height // 10)
    ImageDraw.Draw(mask).ellipse((inset_x, inset_y, t_box.width - inset_x, t_box.height - inset_y), fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(max(1.0, min(t_box.width, t_box.height) / 12)))
    out = dst.copy()
    out.paste(Image.fromarray(matched.astype(np.uint8), "RGB"), (t_box.left, t_box.top), mask)
    buf = io.BytesIO()
    out.save(buf, "PNG")
    return FaceSwap(png=buf.getvalue(), source_box=s_box, target_box=t_box, detector=detector)
