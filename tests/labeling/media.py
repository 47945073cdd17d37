"""Test media built on the fly (Pillow, ffmpeg, hand-built bytes) — no downloaded fixtures."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hegui.labeling.label import ImplicitLabel

PRODUCER = "001191110102MACQD9K64010000"  # Doubao producer code seen in vendor files (reference §6)
PLATFORM = "00119144030008867405X220001"  # Jimeng propagator code


def label(pid: str = "hegui-test-0001") -> ImplicitLabel:
    return ImplicitLabel.generated(PRODUCER, pid)


def need(tool: str) -> str:
    """Path of an external tool; skip locally, fail under CI when it is missing."""
    path = shutil.which(tool)
    if path is None:
        msg = f"{tool} is not installed (Debian: see docs/labeling.md)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path


def image(fmt: str, size: tuple[int, int] = (48, 32), mode: str = "RGB", **kw: object) -> bytes:
    from PIL import Image

    img = Image.new(mode, size)
    px = img.load()
    for y in range(size[1]):
        for x in range(size[0]):
            v = ((x * 7 + y * 13) % 256, (x * 3) % 256, (y * 5) % 256)
            px[x, y] = v[: len(mode)] if mode != "L" else v[0]
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def pixels(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    from PIL import Image

    im = Image.open(io.BytesIO(data))
    frames = []
    for i in range(getattr(im, "n_frames", 1)):
        im.seek(i)
        frames.append(im.convert("RGBA").tobytes())
    return im.format, im.size, b"".join(frames)


def ffmpeg(tmp: Path, name: str, *args: str) -> bytes:
    exe = need("ffmpeg")
    out = tmp / name
    subprocess.run([exe, "-v", "error", "-y", *args, str(out)], check=True, timeout=60)
    return out.read_bytes()


def packet_hashes(tmp: Path, data: bytes, name: str) -> str:
    """md5 of every demuxed packet (``-c copy``): proves the media payload is byte-identical."""
    exe = need("ffmpeg")
    p = tmp / ("ph-" + name)
    p.write_bytes(data)
    r = subprocess.run([exe, "-v", "error", "-i", str(p), "-map", "0", "-c", "copy", "-f", "framemd5", "-"],
                       check=True, capture_output=True, timeout=60)
    # keep stream, dts, pts, duration, size, md5 — drop side data (Ogg exposes comment updates there)
    rows = [b",".join(l.split(b",")[:6]) for l in r.stdout.splitlines() if not l.startswith(b"#")]
    return hashlib.sha256(b"\n".join(rows)).hexdigest()


def decoded_hash(tmp: Path, data: bytes, name: str) -> str:
    """md5 of the decoded audio/video (samples, frames)."""
    exe = need("ffmpeg")
    p = tmp / ("dh-" + name)
    p.write_bytes(data)
    r = subprocess.run([exe, "-v", "error", "-i", str(p), "-map", "0", "-f", "md5", "-"], check=True,
                       capture_output=True, timeout=60)
    return r.stdout.decode().strip()


def ffprobe_tags(tmp: Path, data: bytes, name: str) -> dict[str, str]:
    import json

    exe = need("ffprobe")
    p = tmp / ("fp-" + name)
    p.write_bytes(data)
    r = subprocess.run([exe, "-v", "error", "-show_entries", "format_tags:stream_tags", "-of", "json", str(p)],
                       check=True, capture_output=True, timeout=60)
    j = json.loads(r.stdout)
    tags = dict(j.get("format", {}).get("tags", {}))
    for s in j.get("streams", []):
        tags.update(s.get("tags", {}))
    return tags


def exiftool_json(tmp: Path, data: bytes, name: str, *args: str) -> dict[str, object]:
    import json

    exe = need("exiftool")
    p = tmp / ("et-" + name)
    p.write_bytes(data)
    r = subprocess.run([exe, "-j", "-G1", *args, str(p)], check=True, capture_output=True, timeout=60)
    return json.loads(r.stdout)[0]
