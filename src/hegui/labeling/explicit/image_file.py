"""Explicit label on an encoded image: decode safely, draw, re-encode in the same format."""

from __future__ import annotations

import io

from PIL import Image, ImageSequence

from hegui.labeling.explicit.config import ImagePolicy, default_policy
from hegui.labeling.explicit.image import Position, draw_label
from hegui.labeling.explicit.media import (
    encode_image,
    open_image,
    restore_mode,
    upright,
    working_rgb,
)


def label_image_bytes(data: bytes, *, text: str = "AI生成", position: Position = Position.BOTTOM_RIGHT,
                      policy: ImagePolicy | None = None) -> bytes:
    """Burn the explicit label into an image (GB 45438-2025 §5.2); same format, EXIF/ICC/text kept.

    Animated GIF/WebP get the label on every frame.
    """
    policy = policy or default_policy().image
    src = open_image(data, max_pixels=policy.max_pixels)
    if getattr(src.image, "n_frames", 1) > 1 and src.format in ("GIF", "WEBP"):
        return _label_animated(src.image, src.format, text, position, policy)
    original_mode = src.image.mode
    img = upright(src)
    rgb, alpha = working_rgb(img)
    drawn, _ = draw_label(rgb, text, position=position, policy=policy)
    out = restore_mode(drawn, alpha, original_mode)
    return encode_image(out, src, jpeg_quality=policy.jpeg_quality)


def _label_animated(img: Image.Image, fmt: str, text: str, position: Position, policy: ImagePolicy) -> bytes:
    frames, durations = [], []
    for frame in ImageSequence.Iterator(img):
        drawn, _ = draw_label(frame.convert("RGBA"), text, position=position, policy=policy)
        frames.append(drawn)
        durations.append(frame.info.get("duration", img.info.get("duration", 100)))
    out = io.BytesIO()
    params = {"save_all": True, "append_images": frames[1:], "duration": durations,
              "loop": img.info.get("loop", 0)}
    if fmt == "WEBP":
        params["quality"] = policy.jpeg_quality
    else:
        params["disposal"] = 2
    frames[0].save(out, format=fmt, **params)
    return out.getvalue()
