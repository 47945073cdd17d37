"""Explicit-label timing: overlay on a 12 MP image (JPEG and PNG) and on a 60 s 1080p video.

Usage: ``.venv/bin/python bench/labeling/explicit.py [--video-seconds 60] [--repeat 3]``

Inputs are made here: a 4000×3000 photo-like image (smooth colour field + grain) and a video from
ffmpeg's ``testsrc2`` + ``sine`` sources encoded with x264 (same settings as a typical upload).
"""

from __future__ import annotations

import argparse
import io
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from hegui.labeling.explicit import apply_explicit, label_image_bytes, probe
from hegui.labeling.gateway_image import label_generated_image


def _photo(w: int, h: int) -> Image.Image:
    rng = np.random.default_rng(0)
    low = Image.fromarray((rng.random((12, 16, 3)) * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC)
    arr = np.asarray(low, dtype=np.float32) + rng.normal(0, 8, (h, w, 1)).astype(np.float32)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def _best(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--video-seconds", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows: list[tuple[str, str]] = []
    img = _photo(4000, 3000)
    for fmt, kw in (("JPEG", {"quality": 92}), ("PNG", {"compress_level": 6})):
        buf = io.BytesIO()
        img.save(buf, fmt, **kw)
        data = buf.getvalue()
        t = _best(lambda data=data: label_image_bytes(data), args.repeat)
        rows.append((f"explicit overlay, 12 MP {fmt} (decode + draw + encode)", f"{t * 1000:.0f} ms"))
    buf = io.BytesIO()
    _photo(1024, 1024).save(buf, "PNG")
    png1k = buf.getvalue()
    t = _best(lambda: label_generated_image(png1k, content_id="bench", producer_code="001191110102MACQD9K64010000"),
              args.repeat)
    rows.append(("gateway hook, 1024x1024 PNG (explicit + watermark + implicit)", f"{t * 1000:.0f} ms"))
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.mp4"
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        f"testsrc2=size=1920x1080:rate=30:duration={args.video_seconds}", "-f", "lavfi", "-i",
                        f"sine=frequency=440:duration={args.video_seconds}", "-c:v", "libx264", "-preset",
                        "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(src)], check=True)
        t0 = time.perf_counter()
        out = apply_explicit(src, Path(tmp) / "out.mp4")
        t = time.perf_counter() - t0
        info = probe(out)
        rows.append((f"explicit overlay, {args.video_seconds} s 1080p30 H.264 video (re-encode, audio copied)",
                     f"{t:.1f} s ({info.duration:.1f} s out)"))
    print("| case | time |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
