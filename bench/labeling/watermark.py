"""Watermark robustness benchmark: hegui vs invisible-watermark (dwtDct) on the same images, one run.

Usage::

    .venv/bin/python bench/labeling/watermark.py [--limit N] [--svd] [--manifest FILE] [--json FILE]

Test images (``bench/labeling/wm_images.py``; built offline at run time, nothing downloaded, nothing
stored in the repository; at least 200 or the run stops): public-domain / CC0 photos shipped inside
the ``scikit-image`` and ``matplotlib`` wheels and the Debian package ``xplanet-images`` (whole picture
plus deterministic crops at other scales and sizes), and self-made procedural pictures (landscapes,
textures, out-of-focus scenes, rendered shapes, text documents, matplotlib charts). Every image's
source and licence is written to the manifest (``--manifest``, default ``watermark-manifest.tsv`` in
the temp dir, path printed).

Attacks: JPEG quality 50; resize to 50 %; 10 % border crop (10 % of width and height cut from each
side); brightness ×1.2 and ×0.8; PNG → WebP (Pillow default quality 80).

invisible-watermark (bench-only dependency: ``pip install --no-deps invisible-watermark
opencv-python-headless``) runs in a second process of the same venv on the same PNG files; its
``dwtDct``/``dwtDctSvd`` methods do not use torch, so a stub ``torch`` module is injected when torch is
absent (only its rivaGan method needs it).
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

sys.path.insert(0, str(Path(__file__).parent))
from wm_images import TestImage, all_images  # noqa: E402

ATTACKS = ("none", "jpeg50", "jpeg70", "resize50", "crop10", "combined", "bright+20", "bright-20", "webp")
MIN_IMAGES = 200


def _payload_bits(seed: str) -> np.ndarray:
    return np.unpackbits(np.frombuffer(hashlib.sha256(seed.encode()).digest()[:8], dtype=np.uint8))


def attack(arr: np.ndarray, name: str) -> np.ndarray:
    img = Image.fromarray(arr)
    w, h = img.size
    if name == "none":
        return arr
    if name in ("jpeg50", "jpeg70", "webp"):
        buf = io.BytesIO()
        img.save(buf, "WEBP") if name == "webp" else img.save(buf, "JPEG", quality=int(name[4:]))
        return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    if name == "combined":  # 10 % crop, then 50 % resize, then JPEG 70
        return attack(attack(attack(arr, "crop10"), "resize50"), "jpeg70")
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
def build_images(limit: int) -> list[TestImage]:
    imgs = all_images(MIN_IMAGES)
    return imgs[:: max(1, len(imgs) // limit)][:limit] if limit else imgs


def family(t: TestImage) -> str:
    return t.family


# ---------------------------------------------------------------- methods
def run_hegui(images: list[TestImage], false_positive_images: int) -> dict[str, object]:
    from hegui.labeling import watermark as wm

    rows: dict[str, list[float]] = {a: [] for a in ATTACKS}
    found: dict[str, int] = {a: 0 for a in ATTACKS}
    psnrs = []
    for t in images:
        name, arr = t.name, t.array
        bits = _payload_bits(name)
        payload = int.from_bytes(np.packbits(bits).tobytes(), "big")
        marked = wm.embed_array(arr, payload, key=wm.DEFAULT_KEY, strength=1.0)
        psnrs.append(psnr(arr, marked))
        for a in ATTACKS:
            res = wm.detect_array(attack(marked, a))
            got = res.payload if res.found else res.raw_payload
            rows[a].append(float(np.mean(np.unpackbits(np.frombuffer(got.to_bytes(8, "big"), np.uint8)) == bits)))
            found[a] += int(res.found and res.payload == payload)
    fp_set = images[:: max(1, len(images) // false_positive_images)][:false_positive_images]
    fp_res = [wm.detect_array(t.array) for t in fp_set]
    return {"acc": rows, "found": found, "psnr": psnrs,
            "false_positives": [sum(int(r.found) for r in fp_res), len(fp_set)],
            "max_unmarked_confidence": max((r.confidence for r in fp_res), default=0.0),
            "max_unmarked_score": max((r.score for r in fp_res), default=0.0)}


def worker_imwatermark(image_dir: Path, method: str) -> dict[str, object]:
    """Runs in a second process (same venv): invisible-watermark on the PNG files in ``image_dir``."""
    import types

    try:
        import torch  # noqa: F401
    except ImportError:  # dwtDct/dwtDctSvd never touch torch; imwatermark imports it for rivaGan only
        sys.modules["torch"] = types.ModuleType("torch")
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


def _worker(method: str, tmp: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, "--worker", method, "--images", tmp],
                            stdout=subprocess.PIPE, text=True)


def _collect(results: dict[str, dict[str, object]], method: str, proc: subprocess.Popen[str]) -> None:
    out, _ = proc.communicate()
    if proc.returncode == 0:
        results[f"invisible-watermark {method}"] = json.loads(out)
    else:
        print(f"invisible-watermark {method} failed (exit {proc.returncode})", file=sys.stderr)


def _families(images: list[TestImage], res: dict[str, object]) -> str:
    fams = sorted({family(t) for t in images})
    lines = ["| hegui, images with acc >= 0.99 | " + " | ".join(ATTACKS) + " |",
             "|---|" + "---|" * len(ATTACKS)]
    acc = res["acc"]  # type: ignore[index]
    for f in fams:
        idx = [i for i, t in enumerate(images) if family(t) == f]
        cells = [f"{sum(acc[a][i] >= 0.99 for i in idx)}/{len(idx)}" for a in ATTACKS]  # type: ignore[index]
        lines.append(f"| {f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=0, help="use only N images (spread over the set; < 200 only for trials)")
    ap.add_argument("--svd", action="store_true", help="also run invisible-watermark dwtDctSvd")
    ap.add_argument("--no-compare", action="store_true", help="skip invisible-watermark")
    ap.add_argument("--false-positive-images", type=int, default=100)
    ap.add_argument("--manifest", type=Path, help="write name, size, source and licence of every image here (TSV)")
    ap.add_argument("--json", type=Path, help="write all per-image numbers here")
    ap.add_argument("--worker", choices=["dwtDct", "dwtDctSvd"], help=argparse.SUPPRESS)
    ap.add_argument("--images", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        json.dump(worker_imwatermark(args.images, args.worker), sys.stdout)
        return
    images = build_images(args.limit)
    manifest = args.manifest or Path(tempfile.gettempdir()) / "watermark-manifest.tsv"
    with manifest.open("w", encoding="utf-8") as fh:
        fh.write("name\tfamily\twidth\theight\tsource\tlicence\n")
        for t in images:
            fh.write(f"{t.name}\t{t.family}\t{t.array.shape[1]}\t{t.array.shape[0]}\t{t.source}\t{t.licence}\n")
    real = [t for t in images if "rendered" not in t.source]
    print(f"images: {len(images)} ({len(real)} independent photos, {len(images) - len(real)} rendered "
          f"documents/tables/charts/UIs); manifest: {manifest}", flush=True)
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        procs = []
        if not args.no_compare:
            for i, t in enumerate(images):
                Image.fromarray(t.array).save(f"{tmp}/{i:04d}.png", compress_level=1)
                Path(f"{tmp}/{i:04d}.json").write_text(json.dumps({"name": t.name}))
            procs.append(("dwtDct", _worker("dwtDct", tmp)))  # beside hegui: two cores
        t0 = time.perf_counter()
        results["hegui"] = run_hegui(images, args.false_positive_images)
        hegui_s = time.perf_counter() - t0
        for method, proc in procs:
            _collect(results, method, proc)
        if args.svd and not args.no_compare:
            _collect(results, "dwtDctSvd", _worker("dwtDctSvd", tmp))
    print(_table(results, len(images)))
    print()
    print(_families(images, results["hegui"]))
    fp = results["hegui"]["false_positives"]
    print(f"\nhegui false positives on unmarked images: {fp[0]}/{fp[1]} (highest confidence "
          f"{results['hegui']['max_unmarked_confidence']:.3g}, highest decoder score "
          f"{results['hegui']['max_unmarked_score']:.3f}, found from 0.68); hegui run {hegui_s:.0f} s")
    t = embed_timing()
    print("\n| 1920x1080, one process | ms |\n|---|---|")
    for k, v in t.items():
        print(f"| {k} | {v:.1f} |")
    if args.json:
        args.json.write_text(json.dumps({"images": [t.name for t in images], "results": results, "timing": t}))


if __name__ == "__main__":
    main()
