"""Implicit-label throughput per format: hegui vs exiftool doing the same write on the same files.

    .venv/bin/python bench/labeling/implicit.py [--files 30] [--keep DIR]

Generates its own media (Pillow, ffmpeg, hand-built documents) into a temp dir, then for each format
times hegui's write (file → file, atomic, with read-back) and read, and exiftool's write of the
same TC260 XMP / PDF Info value in ONE batch process over the same files (no per-file start-up
cost charged to exiftool). Prints a table. Formats exiftool cannot write to the TC260 carrier
(Matroska, WAV chunk, ID3 TXXX, Vorbis comments, OOXML custom.xml, Markdown, HTML) show hegui only.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from hegui.labeling import read_label_file, write_label_file
from hegui.labeling.label import ImplicitLabel

LABEL = ImplicitLabel.generated("001191110102MACQD9K64010000", "bench-0001")
CONFIG = r"""
%Image::ExifTool::UserDefined = (
    'Image::ExifTool::XMP::Main' => {
        TC260 => { SubDirectory => { TagTable => 'Image::ExifTool::UserDefined::TC260' } },
    },
    'Image::ExifTool::PDF::Info' => { AIGC => { } },
);
%Image::ExifTool::UserDefined::TC260 = (
    GROUPS => { 0 => 'XMP', 1 => 'XMP-TC260', 2 => 'Image' },
    NAMESPACE => { 'TC260' => 'http://www.tc260.org.cn/ns/AIGC/1.0/' },
    WRITABLE => 'string',
    AIGC => { },
);
1;
"""


def _photo(w: int, h: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    a = np.stack([(x * 0.3 + y * 0.1) % 256, (x * 0.05 + y * 0.2) % 256, (x * y * 0.001) % 256], -1)
    a = (a + rng.normal(0, 18, a.shape)).clip(0, 255).astype("uint8")
    return Image.fromarray(a)


def _ffmpeg(out: Path, *args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, str(out)], check=True)


def make(kind: str, d: Path, n: int) -> list[Path]:
    d.mkdir(parents=True, exist_ok=True)
    first = d / f"0.{kind}"
    if kind in ("jpg", "png", "webp", "tif", "gif", "avif"):
        im = _photo(1920, 1080, 1) if kind not in ("gif", "avif") else _photo(640, 480, 1)
        fmt = {"jpg": "JPEG", "tif": "TIFF", "gif": "GIF"}.get(kind, kind.upper())
        im.save(first, fmt, **({"quality": 90} if kind == "jpg" else {}))
    elif kind in ("mp4", "mkv", "avi", "flv"):
        _ffmpeg(first, "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25", "-f", "lavfi", "-i",
                "sine=f=440", "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest")
    elif kind in ("mp3", "flac", "ogg", "wav"):
        codec = {"mp3": "libmp3lame", "flac": "flac", "ogg": "libvorbis", "wav": "pcm_s16le"}[kind]
        _ffmpeg(first, "-f", "lavfi", "-i", "sine=f=440:sample_rate=44100", "-t", "10", "-c:a", codec)
    elif kind == "pdf":
        from pypdf import PdfWriter

        w = PdfWriter()
        for _ in range(20):
            w.add_blank_page(595, 842)
        w.write(first)
    elif kind == "docx":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                       'package/2006/content-types"></Types>')
            z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                       'package/2006/relationships"></Relationships>')
            z.writestr("word/document.xml", "<w:document>" + "<w:p>段落 text</w:p>" * 20000 + "</w:document>")
        first.write_bytes(buf.getvalue())
    elif kind == "md":
        first.write_text("# 标题\n\n" + "正文 text line\n" * 5000)
    elif kind == "html":
        first.write_text("<!DOCTYPE html><html><head><title>t</title></head><body>" + "<p>段落</p>" * 5000 + "</body></html>")
    files = [first]
    for i in range(1, n):
        p = d / f"{i}.{kind}"
        shutil.copyfile(first, p)
        files.append(p)
    return files


def bench_hegui(files: list[Path], out: Path) -> tuple[float, float, float]:
    out.mkdir(exist_ok=True)
    t = time.perf_counter()
    for f in files:
        write_label_file(f, LABEL, dst=out / f.name)
    w = time.perf_counter() - t
    for f in files:
        (out / f.name).unlink()
    t = time.perf_counter()
    for f in files:
        write_label_file(f, LABEL, dst=out / f.name, durable=False)
    w_fast = time.perf_counter() - t
    t = time.perf_counter()
    for f in files:
        assert read_label_file(out / f.name).label == LABEL
    return w, w_fast, time.perf_counter() - t


def bench_exiftool(files: list[Path], out: Path, cfg: Path, pdf: bool) -> float | None:
    if shutil.which("exiftool") is None:
        return None
    out.mkdir(exist_ok=True)
    tag = "-PDF:AIGC=" if pdf else "-XMP-TC260:AIGC="
    t = time.perf_counter()
    subprocess.run(["exiftool", "-config", str(cfg), "-q", "-m", tag + LABEL.to_json(), "-o", str(out) + "/",
                    *map(str, files)], check=True, capture_output=True)
    return time.perf_counter() - t


EXIFTOOL_SAME = {"jpg", "png", "webp", "tif", "gif", "avif", "pdf"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=30)
    ap.add_argument("--keep")
    ap.add_argument("--formats", default="jpg,png,webp,tif,gif,avif,mp4,mkv,avi,flv,wav,mp3,flac,ogg,pdf,docx,md,html")
    a = ap.parse_args()
    root = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="hegui-bench-"))
    cfg = root / "tc260.config"
    root.mkdir(parents=True, exist_ok=True)
    cfg.write_text(CONFIG)
    rows = []
    for kind in a.formats.split(","):
        files = make(kind, root / kind, a.files)
        mb = sum(f.stat().st_size for f in files) / 2**20
        w, wf, r = bench_hegui(files, root / kind / "hegui")
        e = bench_exiftool(files, root / kind / "exiftool", cfg, kind == "pdf") if kind in EXIFTOOL_SAME else None
        rows.append((kind, len(files), mb / len(files), len(files) / w, len(files) / wf, mb / wf, len(files) / r,
                     None if e is None else len(files) / e, None if e is None else e / wf,
                     None if e is None else e / w))
    head = ("format", "files", "MB/file", "write files/s (fsync)", "write files/s (no fsync)", "write MB/s (no fsync)",
            "read files/s", "exiftool write files/s", "speed-up (no fsync, like exiftool)", "speed-up (fsync)")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    na = "n/a"
    for k, n, size, wd, wf, wm, rf, ef, sp, spd in rows:
        print(f"| {k} | {n} | {size:.2f} | {wd:.0f} | {wf:.0f} | {wm:.0f} | {rf:.0f} | "
              f"{na if ef is None else f'{ef:.1f}'} | {na if sp is None else f'{sp:.1f}×'} | "
              f"{na if spd is None else f'{spd:.1f}×'} |")
    if not a.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
