"""Watermark robustness benchmark: hegui vs invisible-watermark (dwtDct, dwtDctSvd) on the same images.

Usage::

    .venv/bin/python bench/labeling/watermark.py [--limit N] [--compare-python /work/bench-venv/bin/python]

Test images (real photos and artwork, nothing downloaded, nothing copied into the repository):
Debian packages ``mate-backgrounds``, ``ukui-wallpapers``, ``gnome-backgrounds``,
``plasma-workspace-wallpapers`` (files under /usr/share/backgrounds and /usr/share/wallpapers) and the
sample photos shipped in the ``scikit-image`` wheel (``skimage/data``, mostly public domain / CC0),
found in ``--skimage-dir``. Each source picture gives up to three test images (whole picture fitted
to 1280 px, and two deterministic crops of other sizes), so several test images share a source.

Attacks: JPEG quality 50; resize to 50 %; 10 % border crop (10 % of width and height cut from each
side); brightness ×1.2 and ×0.8; PNG → WebP (Pillow default quality 80). invisible-watermark runs in a
separate venv (it needs torch) as a subprocess of this script, on the same PNG files.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ATTACKS = ("none", "jpeg50", "resize50", "crop10", "bright+20", "bright-20", "webp")
SOURCE_DIRS = ("/usr/share/backgrounds", "/usr/share/wallpapers")
SKIMAGE_SKIP = {"logo", "chessboard_GRAY", "chessboard_RGB", "phantom", "horse", "color", "binary_blobs",
                "no_time_for_that_tiny", "lfw_subset", "motorcycle_disp", "multipage", "multipage_rgb",
                "lbpcascade_frontalface_opencv", "cell", "text", "page", "clock_motion"}


def _payload_bits(seed: str) -> np.ndarray:
    return np.unpackbits(np.frombuffer(hashlib.sha256(seed.encode()).digest()[:8], dtype=np.uint8))


def attack(arr: np.ndarray, name: str) -> np.ndarray:
    img = Image.fromarray(arr)
    w, h = img.size
    if name == "none":
        return arr
    if name in ("jpeg50", "webp"):
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=50) if name == "jpeg50" else img.save(buf, "WEBP")
        return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    if name == "resize50":
        return np.asarray(img.resize((w // 2, h // 2), Image.Resampling.BICUBIC))
    if name == "crop10":
        return np.asarray(img.crop((w // 10, h // 10, w - w // 10, h - h // 10)))
    factor = 1.2 if name == "bright+20" else 0.8
    return np.clip(arr.astype(np.float32) * factor + 0.5, 0, 255).astype(np.uint8)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


# ---------------------------------------------------------------- test images
def _sources(skimage_dir: Path | None) -> list[Path]:
    found: dict[str, Path] = {}
    for root in SOURCE_DIRS:
        for p in sorted(Path(root).rglob("*")):
            if p.suffix.lower() not in (".jpg", ".jpeg", ".png", ".webp") or not p.is_file():
                continue
            # one file per picture: plasma ships several sizes, mate several resolutions of Elephants
            key = str(p.parent.parent.parent) if "contents" in p.parts else str(p.parent / p.stem.split("_")[0])
            if key not in found or p.stat().st_size > found[key].stat().st_size:
                found[key] = p
    if skimage_dir and skimage_dir.is_dir():
        for p in sorted(skimage_dir.iterdir()):
            if p.suffix.lower() in (".png", ".jpg") and p.stem not in SKIMAGE_SKIP:
                found[str(p)] = p
    return sorted(found.values())


def _fit(img: Image.Image, longest: int) -> Image.Image:
    if max(img.size) <= longest:
        return img
    s = longest / max(img.size)
    return img.resize((max(1, round(img.width * s)), max(1, round(img.height * s))), Image.Resampling.LANCZOS)


def build_images(skimage_dir: Path | None, limit: int) -> list[tuple[str, np.ndarray]]:
    out: list[tuple[str, np.ndarray]] = []
    for path in _sources(skimage_dir):
        try:
            with Image.open(path) as im:
                full = im.convert("RGB")
        except OSError:
            continue
        if min(full.size) < 256:
            continue
        rng = np.random.default_rng(int.from_bytes(hashlib.sha256(str(path).encode()).digest()[:4], "big"))
        out.append((f"{path.name}:fit1280", np.asarray(_fit(full, 1280))))
        for longest, (cw, ch) in ((2560, (768, 512)), (1600, (512, 512))):
            big = _fit(full, longest)
            if big.width < cw + 16 or big.height < ch + 16:
                continue
            x, y = int(rng.integers(0, big.width - cw)), int(rng.integers(0, big.height - ch))
            out.append((f"{path.name}:crop{cw}x{ch}@{longest}", np.asarray(big.crop((x, y, x + cw, y + ch)))))
    return out[:limit] if limit else out


# ---------------------------------------------------------------- methods
def run_hegui(images: list[tuple[str, np.ndarray]]) -> dict[str, object]:
    from hegui.labeling import watermark as wm

    rows: dict[str, list[float]] = {a: [] for a in ATTACKS}
    found: dict[str, int] = {a: 0 for a in ATTACKS}
    psnrs = []
    for name, arr in images:
        bits = _payload_bits(name)
        payload = int.from_bytes(np.packbits(bits).tobytes(), "big")
        marked = wm.embed_array(arr, payload, key=wm.DEFAULT_KEY, strength=1.0)
        psnrs.append(psnr(arr, marked))
        for a in ATTACKS:
            res = wm.detect_array(attack(marked, a))
            got = res.payload if res.found else res.raw_payload
            rows[a].append(float(np.mean(np.unpackbits(np.frombuffer(got.to_bytes(8, "big"), np.uint8)) == bits)))
            found[a] += int(res.found and res.payload == payload)
    false_pos = sum(int(wm.detect_array(arr).found) for _, arr in images[:50])
    return {"acc": rows, "found": found, "psnr": psnrs, "false_positives": [false_pos, min(50, len(images))]}


def worker_imwatermark(image_dir: Path, method: str) -> dict[str, object]:
    """Runs inside the separate venv that has invisible-watermark (and torch)."""
    from imwatermark import WatermarkDecoder, WatermarkEncoder

    rows: dict[str, list[float]] = {a: [] for a in ATTACKS}
    psnrs = []
    for p in sorted(image_dir.glob("*.png")):
        name = json.loads((p.with_suffix(".json")).read_text())["name"]
        bits = _payload_bits(name)
        rgb = np.asarray(Image.open(p).convert("RGB"))
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        enc = WatermarkEncoder()
        enc.set_watermark("bits", bits.tolist())
        marked = np.ascontiguousarray(enc.encode(bgr, method)[:, :, ::-1])
        psnrs.append(psnr(rgb, marked))
        dec = WatermarkDecoder("bits", 64)
        for a in ATTACKS:
            att = attack(marked, a)
            try:
                got = np.array(dec.decode(np.ascontiguousarray(att[:, :, ::-1]), method), dtype=np.uint8)
                rows[a].append(float(np.mean(got == bits)))
            except Exception:  # noqa: BLE001 — a decoder crash on a small attacked image counts as failure
                rows[a].append(0.5)
    return {"acc": rows, "psnr": psnrs}


def embed_timing() -> dict[str, float]:
    from hegui.labeling import watermark as wm

    rng = np.random.default_rng(0)
    low = Image.fromarray((rng.random((34, 60, 3)) * 255).astype(np.uint8)).resize((1920, 1080),
                                                                                   Image.Resampling.BICUBIC)
    arr = np.asarray(low)
    buf = io.BytesIO()
    low.save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    wm.embed_array(arr, 1, key=wm.DEFAULT_KEY, strength=1.0)
    t_arr, t_jpeg, t_det = [], [], []
    for _ in range(5):
        t0 = time.perf_counter()
        wm.embed_array(arr, 1, key=wm.DEFAULT_KEY, strength=1.0)
        t_arr.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        out = wm.embed(data, 1)
        t_jpeg.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        wm.detect(out)
        t_det.append(time.perf_counter() - t0)
    return {"embed_array_ms": 1000 * min(t_arr), "embed_jpeg_bytes_ms": 1000 * min(t_jpeg),
            "detect_jpeg_ms": 1000 * min(t_det)}


def _table(results: dict[str, dict[str, object]], n: int) -> str:
    lines = [f"images: {n}", "",
             "| method | attack | mean bit acc | images with acc >= 0.99 | payload found |",
             "|---|---|---|---|---|"]
    for method, res in results.items():
        acc = res["acc"]  # type: ignore[index]
        for a in ATTACKS:
            vals = acc[a]  # type: ignore[index]
            ok = sum(v >= 0.99 for v in vals)
            fnd = res.get("found", {}).get(a, "-") if isinstance(res.get("found"), dict) else "-"  # type: ignore[union-attr]
            lines.append(f"| {method} | {a} | {statistics.mean(vals):.4f} | {ok}/{len(vals)} | {fnd} |")
    lines += ["", "| method | mean PSNR dB | min PSNR dB |", "|---|---|---|"]
    for method, res in results.items():
        p = res["psnr"]  # type: ignore[index]
        lines.append(f"| {method} | {statistics.mean(p):.2f} | {min(p):.2f} |")
    return "\n".join(lines)


def _worker(python: str, method: str, tmp: str) -> subprocess.Popen[str]:
    return subprocess.Popen([python, __file__, "--worker", method, "--images", tmp], stdout=subprocess.PIPE, text=True)


def _collect(results: dict[str, dict[str, object]], method: str, proc: subprocess.Popen[str]) -> None:
    out, _ = proc.communicate()
    if proc.returncode == 0:
        results[f"invisible-watermark {method}"] = json.loads(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--compare-python", default="/work/bench-venv/bin/python")
    ap.add_argument("--skimage-dir", type=Path, default=Path("/work/bench-venv/lib/python3.11/site-packages/skimage/data"))
    ap.add_argument("--worker", choices=["dwtDct", "dwtDctSvd"])
    ap.add_argument("--images", type=Path)
    args = ap.parse_args()
    if args.worker:
        json.dump(worker_imwatermark(args.images, args.worker), sys.stdout)
        return
    images = build_images(args.skimage_dir, args.limit)
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        proc = None
        if Path(args.compare_python).exists():
            for i, (name, arr) in enumerate(images):
                Image.fromarray(arr).save(f"{tmp}/{i:04d}.png", compress_level=1)
                Path(f"{tmp}/{i:04d}.json").write_text(json.dumps({"name": name}))
            proc = _worker(args.compare_python, "dwtDct", tmp)  # beside hegui: two cores
        t0 = time.perf_counter()
        results["hegui"] = run_hegui(images)
        hegui_s = time.perf_counter() - t0
        if proc is not None:
            _collect(results, "dwtDct", proc)
            _collect(results, "dwtDctSvd", _worker(args.compare_python, "dwtDctSvd", tmp))
    print(_table(results, len(images)))
    fp = results["hegui"]["false_positives"]
    print(f"\nhegui false positives on unmarked images: {fp[0]}/{fp[1]}; hegui run {hegui_s:.0f} s")
    t = embed_timing()
    print("\n| 1920x1080, one process | ms |\n|---|---|")
    for k, v in t.items():
        print(f"| {k} | {v:.1f} |")


if __name__ == "__main__":
    main()
