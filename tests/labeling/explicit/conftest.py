"""Fixtures for explicit-label tests: images and media made here (no downloads)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def photo(w: int = 400, h: int = 300, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    low = Image.fromarray((rng.random((5, 7, 3)) * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC)
    return np.clip(np.asarray(low, dtype=np.float32) + rng.normal(0, 10, (h, w, 1)), 0, 255).astype(np.uint8)


def encode(arr: np.ndarray | Image.Image, fmt: str, **kw: object) -> bytes:
    img = arr if isinstance(arr, Image.Image) else Image.fromarray(arr)
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                  reason="ffmpeg/ffprobe not installed (Debian: apt-get install ffmpeg)")


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True, timeout=60)


@pytest.fixture
def video3s(tmp_path: Path) -> Path:
    out = tmp_path / "clip.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=white:size=320x240:rate=10:duration=3", "-f", "lavfi", "-i",
           "sine=frequency=440:duration=3", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
           str(out))
    return out
